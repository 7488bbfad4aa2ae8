package dev.reseeddrbg.provider.epoch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.reseeddrbg.provider.childjvm.TwoPagesProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which word a binding reads, whichever way it addresses its page. */
class EpochBindingTest {
    @TempDir
    Path dir;

    /**
     * The JVM's first binding reads its page at a constant address; later ones through a
     * field. Each must read its own page, before and after the JIT compiles load(): a
     * mix-up would leave a state watching a page that is never notified.
     */
    @Test
    void firstAndLaterBindingsEachReadTheirOwnPage() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED"), TwoPagesProbe.class,
                dir.resolve("a").toString(), dir.resolve("b").toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> v = r.values();
        for (String when : List.of("start", "afterA", "afterB")) {
            for (String which : List.of("first", "later")) {
                String[] read = v.get(when + "." + which).split(" page ");
                assertEquals(read[1], read[0], when + ": the " + which + " binding reads its own page\n" + r);
            }
        }
        assertNotEquals(word(v, "start.first"), word(v, "afterA.first"), "A's notification reaches the first binding");
        assertEquals(word(v, "start.later"), word(v, "afterA.later"), "and not the later one");
        assertEquals(word(v, "afterA.first"), word(v, "afterB.first"), "B's notifications do not reach the first");
        assertNotEquals(word(v, "afterA.later"), word(v, "afterB.later"), "but do reach the later binding");
    }

    private static String word(Map<String, String> v, String key) {
        return v.get(key).split(" ")[0];
    }
}
