package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.childjvm.JfrProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import dev.reseeddrbg.simkernel.KernelPage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev.reseeddrbg.Reseed event, recorded by a child JVM started with -XX:StartFlightRecording. */
class JfrEventTest {
    @TempDir
    Path dir;

    @Test
    void everyReseedIsRecordedWithCauseWordsAndNotifier() throws Exception {
        Path page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        Path recording = dir.resolve("rec.jfr");
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED",
                "-XX:StartFlightRecording:filename=" + recording, "-Dreseeddrbg.page=" + page), JfrProbe.class,
                page.toString());
        assertEquals(0, r.exit(), r.toString());

        List<RecordedEvent> events = RecordingFile.readAllEvents(recording).stream()
                .filter(e -> e.getEventType().getName().equals("dev.reseeddrbg.Reseed")).toList();
        Map<String, List<RecordedEvent>> byCause = events.stream()
                .collect(Collectors.groupingBy(e -> e.getString("cause")));
        assertEquals(1, byCause.get("instantiate").size(), events.toString());
        RecordedEvent epoch = byCause.get("epoch-change").getFirst();
        assertEquals(0, epoch.getInt("oldWord"));
        assertEquals(0x01000001, epoch.getInt("newWord"));
        assertEquals("vm-snapshot", epoch.getString("notifier"));
        assertEquals("CTR_DRBG AES-256", epoch.getString("mechanism"));
        assertTrue(epoch.getDuration().toNanos() > 0);
        assertEquals(1, byCause.get("explicit").size(), events.toString());

        // The README's command shows the same events.
        Process jfr = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jfr").toString(), "print",
                "--events", "dev.reseeddrbg.Reseed", recording.toString()).redirectErrorStream(true).start();
        String printed = new String(jfr.getInputStream().readAllBytes());
        assertTrue(jfr.waitFor(60, TimeUnit.SECONDS));
        assertTrue(printed.contains("cause = \"epoch-change\"") && printed.contains("notifier = \"vm-snapshot\""),
                printed);
    }
}
