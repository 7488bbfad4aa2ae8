package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.childjvm.StrongProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 item 2: a strict failure reaches the operator, through
 * SecureRandom.getInstanceStrong() with conf/reseed-drbg.security in a child JVM, even
 * where the JCA moves on to another provider: one WARNING naming the page or property.
 */
class StrictFailureTest {
    @TempDir
    Path dir;

    private static List<String> warnings(ChildJvm.Result r) {
        return r.err().lines().filter(l -> l.startsWith("WARNING: ReseedDRBG")).toList();
    }

    @Test
    void failWithNoPageIsLoggedOnceWhenGetInstanceStrongFallsThrough() throws Exception {
        Path missing = dir.resolve("no-page");
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED",
                "-Djava.security.properties=" + RegistrationTest.SECURITY_FILE, "-Dreseeddrbg.page=" + missing,
                "-Dreseeddrbg.onMissingPage=fail"), StrongProbe.class);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("NativePRNGBlocking", r.values().get("strong1"), "the JCA moves on, as it may\n" + r);
        List<String> warnings = warnings(r);
        assertEquals(1, warnings.size(), "said once, for two calls\n" + r);
        assertTrue(warnings.getFirst().contains(missing.toString())
                && warnings.getFirst().contains("reseeddrbg.onMissingPage=fail"), r.toString());
    }

    @Test
    void valuesThatOverflowOrAreNoPathAreLoudAndLogged() throws Exception {
        // A NUL cannot be passed on a command line, so it comes from a security properties file.
        Path withNul = dir.resolve("nul.security");
        Files.writeString(withNul, Files.readString(RegistrationTest.SECURITY_FILE)
                + "\nreseeddrbg.page=/run/reseeddrbg/ep\\u0000och\n");
        for (List<String> args : List.of(
                List.of("-Djava.security.properties=" + RegistrationTest.SECURITY_FILE,
                        "-Dreseeddrbg.reseedAge=153722867280912931m"),
                List.of("-Djava.security.properties=" + withNul))) {
            ChildJvm.Result r = ChildJvm.run(args, StrongProbe.class);
            assertEquals("!ConfigurationException", r.values().get("strong1"), "thrown, not skipped\n" + r);
            List<String> warnings = warnings(r);
            assertEquals(1, warnings.size(), r.toString());
            assertTrue(warnings.getFirst().contains(args.size() == 2 ? "reseeddrbg.reseedAge" : "reseeddrbg.page"),
                    r.toString());
        }
    }
}
