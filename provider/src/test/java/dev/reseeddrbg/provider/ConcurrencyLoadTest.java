package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.EpochWord;
import dev.reseeddrbg.provider.testing.ChildJvm;
import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import dev.reseeddrbg.simkernel.cli.SimKernelCommand;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight threads on one shared instance for 30 s while a sim-kernel process notifies more
 * than a thousand times a second: no exception, no deadlock, throughput within 2x of a
 * quiet run, and every state's reseed history (JFR events) is an unbroken chain of words
 * that agrees with the counters.
 */
class ConcurrencyLoadTest {
    private static final int THREADS = 8;

    @TempDir
    Path dir;

    /** Draws nextBytes(32) on THREADS threads for {@code duration}; returns the number of draws. */
    private static long hammer(SecureRandom random, Duration duration, ConcurrentLinkedQueue<Throwable> errors)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder draws = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                byte[] b = new byte[32];
                try {
                    while (!stop.get()) {
                        random.nextBytes(b);
                        draws.increment();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        Thread.sleep(duration);
        stop.set(true);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30));
            assertFalse(t.isAlive(), "a drawing thread is stuck: deadlock?");
        }
        return draws.sum();
    }

    @Test
    void eightThreadsUnderAThousandNotificationsPerSecond() throws Exception {
        try (PageFixture page = new PageFixture(dir); Recording recording = new Recording()) {
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            hammer(random, Duration.ofSeconds(2), errors); // warm-up
            long quiet = hammer(random, Duration.ofSeconds(10), errors) / 10;

            recording.enable("dev.reseeddrbg.Reseed");
            recording.start();
            long epochReseedsBefore = ProviderCounters.reseeds();
            int startWord = page.word();
            Process kernel = new ProcessBuilder(ChildJvm.java(), "-cp", System.getProperty("java.class.path"),
                    SimKernelCommand.class.getName(), "run", "--page", page.path().toString(), "--timer", "PT0.0004S")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(1000); // the daemon starts and notifies
            int loadStartWord = page.word();
            long loadStart = System.nanoTime();
            long loaded = hammer(random, Duration.ofSeconds(30), errors) / 30;
            double seconds = (System.nanoTime() - loadStart) / 1e9;
            int loadEndWord = page.word();
            kernel.toHandle().destroy();
            assertTrue(kernel.waitFor(30, TimeUnit.SECONDS));
            recording.stop();
            Path file = dir.resolve("load.jfr");
            recording.dump(file);

            assertEquals(List.of(), List.copyOf(errors), "no draw failed");
            int notifications = (EpochWord.epoch(loadEndWord) - EpochWord.epoch(loadStartWord)) & EpochWord.EPOCH_MASK;
            double rate = notifications / seconds;
            System.out.printf("load: quiet %d draws/s, loaded %d draws/s, %.0f notifications/s%n", quiet, loaded, rate);
            assertTrue(rate >= 1000, "the notifier process managed only " + rate + " notifications/s");
            assertTrue(loaded * 2 >= quiet, "throughput " + loaded + "/s under load, " + quiet + "/s quiet");

            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.reseeddrbg.Reseed")).toList();
            long epochEvents = events.stream().filter(e -> e.getString("cause").equals("epoch-change")).count();
            assertEquals(ProviderCounters.reseeds() - epochReseedsBefore, epochEvents,
                    "the counters and the recorded history agree");
            assertTrue(epochEvents > 0);
            Map<Integer, List<RecordedEvent>> byState = events.stream()
                    .collect(Collectors.groupingBy(e -> e.getInt("state")));
            int finalEpoch = EpochWord.epoch(page.word());
            for (List<RecordedEvent> history : byState.values()) {
                List<RecordedEvent> ordered = history.stream()
                        .sorted(Comparator.comparing(RecordedEvent::getStartTime)).toList();
                for (int i = 1; i < ordered.size(); i++) {
                    RecordedEvent prev = ordered.get(i - 1);
                    RecordedEvent next = ordered.get(i);
                    assertEquals(prev.getInt("newWord"), next.getInt("oldWord"), "a state's history has no gaps");
                    if (next.getString("cause").equals("epoch-change")) {
                        int step = (EpochWord.epoch(next.getInt("newWord")) - EpochWord.epoch(next.getInt("oldWord")))
                                & EpochWord.EPOCH_MASK;
                        assertTrue(step >= 1 && step <= finalEpoch - EpochWord.epoch(startWord) + 1,
                                "each epoch change moves the state forward to a word the page had");
                    }
                }
            }
        }
    }
}
