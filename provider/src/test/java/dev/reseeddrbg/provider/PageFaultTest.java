package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.page.EpochWord;
import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.provider.childjvm.HotTruncationProbe;
import dev.reseeddrbg.provider.childjvm.NotifyLoop;
import dev.reseeddrbg.provider.childjvm.PageLossProbe;
import dev.reseeddrbg.provider.childjvm.RefusalProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import dev.reseeddrbg.simkernel.KernelPage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pages that are wrong, go away, wrap around, or are written by several notifiers at once. */
class PageFaultTest {
    private static final ReseedProvider PROVIDER = new ReseedProvider();

    @TempDir
    Path dir;

    private static String refusal(PageFixture page, Path file) {
        page.set("reseeddrbg.page", file.toString()).set("reseeddrbg.onMissingPage", "fail");
        return assertThrows(NoSuchAlgorithmException.class, () -> SecureRandom.getInstance("ReseedDRBG", PROVIDER))
                .getMessage();
    }

    @Test
    void wrongFilesAreRefusedWithTheirReason() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            Path empty = Files.write(dir.resolve("empty"), new byte[0]);
            assertTrue(refusal(page, empty).contains("is 0 bytes"));

            Path foreign = Files.write(dir.resolve("foreign"), new byte[PageLayout.PAGE_SIZE]);
            assertTrue(refusal(page, foreign).contains("bad magic"));

            Path version = dir.resolve("version");
            byte[] bytes = Files.readAllBytes(page.path());
            ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort((int) PageLayout.VERSION_OFFSET, (short) 2);
            Files.write(version, bytes);
            assertTrue(refusal(page, version).contains("format version 2 is not supported"));

            Path owned = dir.resolve("owned");
            Files.copy(page.path(), owned);
            Files.setAttribute(owned, "unix:uid", 12345);
            assertTrue(refusal(page, owned).contains("owned by uid 12345"), "another user could freeze the word");
        }
    }

    /**
     * Root reads any file whatever its mode, so the reader is a child JVM that obeys file
     * modes (CAP_DAC_OVERRIDE dropped), as a provider running as an ordinary user does.
     */
    @Test
    void anUnreadablePageIsRefused() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            Path unreadable = dir.resolve("unreadable");
            Files.copy(page.path(), unreadable);
            Files.setPosixFilePermissions(unreadable, java.nio.file.attribute.PosixFilePermissions.fromString("-w-------"));
            ChildJvm.Result r = ChildJvm.runBoundByFileModes(List.of("--enable-native-access=ALL-UNNAMED",
                    "-Dreseeddrbg.page=" + unreadable, "-Dreseeddrbg.onMissingPage=fail"), RefusalProbe.class);
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.values().get("refusal").contains("permission denied"), r.toString());
        }
    }

    @Test
    void aTruncatedPageIsSurvivedInAChildJvm() throws Exception {
        Path embedded = dir.resolve("embedded-case");
        KernelPage.initialize(embedded).close();
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + embedded),
                PageLossProbe.class, embedded.toString());
        assertEquals(0, r.exit(), "the JVM must not crash on SIGBUS\n" + r);
        Map<String, String> v = r.values();
        assertEquals("true", v.get("survived"), r.toString());
        assertEquals("ok", v.get("draw0"), r.toString());
        assertTrue(v.get("after").contains("embedded"), "falls back per onMissingPage=embedded\n" + r);
        assertEquals(1, r.err().lines().filter(l -> l.contains("was truncated while mapped")).count(),
                "said once\n" + r);

        Path failing = dir.resolve("fail-case");
        KernelPage.initialize(failing).close();
        ChildJvm.Result f = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + failing,
                "-Dreseeddrbg.onMissingPage=fail"), PageLossProbe.class, failing.toString());
        assertEquals(0, f.exit(), f.toString());
        for (String draw : List.of("draw0", "draw1", "draw2")) {
            assertTrue(f.values().get(draw).startsWith("ProviderException: epoch page lost"), f.toString());
        }
    }

    /**
     * A page truncated while draws run in JIT-compiled code: the compiled load's SIGBUS
     * comes as an asynchronous InternalError, outside the load's own catch. Draws must still
     * move off the lost page within a bounded time (to the fallback, or the policy's
     * ProviderException), and the loss must be logged.
     */
    @Test
    void aPageTruncatedUnderCompiledDrawsIsLeft() throws Exception {
        for (String policy : List.of("embedded", "fail")) {
            Path file = dir.resolve("hot-" + policy);
            KernelPage.initialize(file).close();
            ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + file,
                    "-Dreseeddrbg.onMissingPage=" + policy, "-Dreseeddrbg.bufferSize=0"),
                    HotTruncationProbe.class, file.toString(), "3000");
            assertEquals(0, r.exit(), "the JVM must not crash on SIGBUS\n" + r);
            Map<String, String> v = r.values();
            assertEquals("true", v.get("survived"), r.toString());
            long settled = Long.parseLong(v.get("settledAtMs"));
            assertTrue(settled >= 0 && settled < 1000, policy + ": draws settle within a second\n" + r);
            if (policy.equals("embedded")) {
                assertTrue(Long.parseLong(v.get("ok")) > 1000, "draws succeed on the fallback\n" + r);
                assertTrue(v.get("after").contains("embedded"), r.toString());
            } else {
                assertTrue(v.get("lastProviderException").startsWith("epoch page lost"), r.toString());
            }
            assertTrue(Long.parseLong(v.get("internalErrors")) < 100, "InternalErrors stop\n" + r);
            assertEquals(1, r.err().lines().filter(l -> l.contains("was truncated")).count(), "said once\n" + r);
        }
    }

    @Test
    void aReplacedPageIsFollowed() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.bufferSize", "64");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            // An operator recreates the page: a new file (new inode) at the same path.
            Path fresh = dir.resolve("fresh");
            KernelPage.initialize(fresh).close();
            Files.move(fresh, page.path(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long instantiated = ProviderCounters.reseeds("instantiate");
            Thread.sleep(150); // the file is looked at no more than every 100 ms
            random.nextBytes(new byte[128]); // refills, notices the new file
            assertEquals(instantiated + 1, ProviderCounters.reseeds("instantiate"), "re-seeded from scratch");
            try (KernelPage now = KernelPage.open(page.path())) {
                long before = ProviderCounters.reseeds();
                now.notifier("vm-snapshot").fire();
                random.nextBytes(new byte[16]);
                assertEquals(before + 1, ProviderCounters.reseeds(), "notifications on the new page are seen");
            }
        }
    }

    /**
     * After a page is lost, the instance's states, its toString() and the MBean all name
     * the same replacement: here the fallback, since the page file is gone.
     */
    @Test
    void afterALostPageTheMBeanAndToStringNameWhatTheStatesUse() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.bufferSize", "64");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            assertEquals("page", ProviderCounters.attribute("NotificationSource"));
            Files.delete(page.path());
            Thread.sleep(150); // the file is looked at no more than every 100 ms
            long instantiated = ProviderCounters.reseeds("instantiate");
            random.nextBytes(new byte[128]); // refills, notices the missing file
            assertEquals(instantiated + 1, ProviderCounters.reseeds("instantiate"), "re-seeded on the fallback");
            assertEquals("embedded", ProviderCounters.attribute("NotificationSource"), "the MBean follows the loss");
            assertTrue(random.toString().contains("embedded"), "toString follows the loss: " + random);
        }
    }

    @Test
    void theEpochWrapsAround() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.kernel().page().segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0,
                    EpochWord.of(1, EpochWord.EPOCH_MASK - 2));
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[16]);
            long before = ProviderCounters.reseeds();
            for (int i = 1; i <= 6; i++) {
                page.notify("timer");
                random.nextBytes(new byte[16]);
                assertEquals(before + i, ProviderCounters.reseeds(), "notification " + i + " across the wrap");
            }
            assertEquals(3, EpochWord.epoch(page.word()), "2^24-3 + 6 wraps to 3");
        }
    }

    @Test
    void racingNotifierProcessesLoseNoNotificationAndDrawsNeverFail() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]); // this thread's state exists before the race
            int start = EpochWord.epoch(page.word());
            List<Process> notifiers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                notifiers.add(new ProcessBuilder(ChildJvm.java(), "-cp", System.getProperty("java.class.path"),
                        NotifyLoop.class.getName(), page.path().toString(), "racer-" + p, "20000")
                        .redirectErrorStream(true).start());
            }
            List<Thread> drawers = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicLong draws = new java.util.concurrent.atomic.AtomicLong();
            for (int t = 0; t < 3; t++) {
                drawers.add(Thread.ofPlatform().start(() -> {
                    byte[] b = new byte[32];
                    try {
                        while (!stop.get()) {
                            random.nextBytes(b);
                            draws.incrementAndGet();
                        }
                    } catch (Throwable failed) {
                        failures.add(failed);
                    }
                }));
            }
            for (Process p : notifiers) {
                String out = new String(p.getInputStream().readAllBytes());
                assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, out);
            }
            stop.set(true);
            for (Thread t : drawers) {
                t.join();
            }
            assertEquals(List.of(), failures, "draws during the race fail");
            assertTrue(draws.get() > 0, "the drawers drew during the race");
            assertEquals((start + 60_000) & EpochWord.EPOCH_MASK, EpochWord.epoch(page.word()),
                    "three processes racing: not one notification lost");
            // One more notification: this thread's state must reseed at its next draw, once.
            page.notify("vm-snapshot");
            long before = ProviderCounters.reseeds();
            random.nextBytes(new byte[32]);
            assertEquals(before + 1, ProviderCounters.reseeds());
            random.nextBytes(new byte[32]);
            assertEquals(before + 1, ProviderCounters.reseeds());
        }
    }

}
