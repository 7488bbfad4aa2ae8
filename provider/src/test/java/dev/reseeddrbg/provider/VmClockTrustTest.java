package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.childjvm.VmClockProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G22's trust rules for the VMClock device, in child JVMs (the watch is resolved once per
 * JVM): what is refused is refused with the path and the reason, logged, and not used;
 * what is missing is simply not watched.
 */
class VmClockTrustTest {
    @TempDir
    Path dir;

    private Map<String, String> probe(Path vmclock, boolean allowFile) throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED",
                "-Dreseeddrbg.page=" + dir.resolve("no-page"), "-Dreseeddrbg.vmclock=" + vmclock),
                VmClockProbe.class, allowFile ? "allow-file" : "device-only");
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> values = new java.util.HashMap<>(r.values());
        values.put("stderr", r.err());
        return values;
    }

    @Test
    void aRegularFileIsNotADevice() throws Exception {
        Path file = VmClockCloneTest.writeVmClock(dir.resolve("vmclock"), 1);
        Map<String, String> v = probe(file, false);
        assertEquals("false", v.get("watched"));
        assertTrue(v.get("describe").contains(file + " is not a character device"), v.toString());
        assertTrue(v.get("stderr").contains("WARNING") && v.get("stderr").contains("is not a character device"),
                v.get("stderr"));
        assertTrue(!v.get("toString").contains("vmclock="), v.get("toString"));
    }

    @Test
    void aPageOthersCanWriteIsRefused() throws Exception {
        Path file = VmClockCloneTest.writeVmClock(dir.resolve("vmclock"), 1);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        Map<String, String> v = probe(file, true);
        assertEquals("false", v.get("watched"), v.toString());
        assertTrue(v.get("describe").contains("writable by group or others"), v.toString());
    }

    @Test
    void aPageWithoutTheMagicIsRefused() throws Exception {
        Path file = dir.resolve("vmclock");
        Files.write(file, new byte[4096]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, String> v = probe(file, true);
        assertEquals("false", v.get("watched"), v.toString());
        assertTrue(v.get("describe").contains("is not a VMClock page"), v.toString());
    }

    @Test
    void aTrustedPageIsWatchedAndNamed() throws Exception {
        Path file = VmClockCloneTest.writeVmClock(dir.resolve("vmclock"), 1);
        Map<String, String> v = probe(file, true);
        assertEquals("true", v.get("watched"), v.toString());
        assertTrue(v.get("toString").contains("vmclock=" + file + " (disruption_marker)"), v.get("toString"));
        // No epoch page, but restores are watched: INFO, not WARNING.
        assertTrue(v.get("stderr").contains("VM restores are watched through VMClock"), v.get("stderr"));
        assertTrue(!v.get("stderr").contains("WARNING"), v.get("stderr"));
    }

    @Test
    void aMissingDeviceIsNotWatchedAndNotAnError() throws Exception {
        Map<String, String> v = probe(dir.resolve("absent"), false);
        assertEquals("false", v.get("watched"));
        assertTrue(v.get("describe").startsWith("none at "), v.toString());
    }

}
