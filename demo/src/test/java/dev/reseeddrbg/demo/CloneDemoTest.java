package dev.reseeddrbg.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's demo, run for real: two child JVMs, real page files, real kernel entropy. */
class CloneDemoTest {

    @Test
    void naiveClonesCollideAndReseedDrbgClonesDivergeAfterTheNotification() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            CloneDemo.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.println(out);
        String[] sections = out.split("\n2\\. |\n3\\. ");
        assertTrue(sections[0].contains("SAME (collision)                   SAME (collision)"),
                "before the notification both columns collide: this is what makes the test able to fail\n" + out);
        assertTrue(sections[1].contains("SAME (collision)                   different"),
                "after vm-snapshot only ReseedDRBG differs\n" + out);
        assertTrue(out.contains("clone A  epoch-change=2 instantiate=1"), out);
        assertTrue(out.contains("clone B  epoch-change=1 instantiate=1"), out);
        assertTrue(out.strip().endsWith("ReseedDRBG clones diverged at the first draw after vm-snapshot."), out);
    }
}
