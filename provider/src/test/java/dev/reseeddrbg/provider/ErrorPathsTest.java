package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import dev.reseeddrbg.provider.testing.TestEntropySources;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors (not exceptions) thrown inside a draw: the state and the stripe locks must survive them. */
class ErrorPathsTest {
    private static final ReseedProvider PROVIDER = new ReseedProvider();

    @TempDir
    Path dir;

    @AfterEach
    void disarm() {
        TestEntropySources.Hooked.NEXT_FILL.set(null);
        java.util.concurrent.CountDownLatch blocking = TestEntropySources.Blocking.BLOCKING.getAndSet(null);
        if (blocking != null) {
            blocking.countDown();
        }
    }

    /**
     * G13: a draw waiting on a hung custom source waits parked; over a second of waiting it
     * uses well under a tenth of a core.
     */
    @Test
    void aDrawWaitingOnAHungSourceDoesNotSpin() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.entropySource", "test-blocking").set("reseeddrbg.entropyTimeout", "3s");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            TestEntropySources.Blocking.BLOCKING.set(new java.util.concurrent.CountDownLatch(1));
            page.notify("vm-snapshot");
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            Thread drawer = Thread.ofPlatform().start(() -> {
                try {
                    random.nextBytes(new byte[32]);
                } catch (java.security.ProviderException expected) {
                    // the source never answered within the timeout
                }
            });
            Thread.sleep(300); // the draw is waiting by now
            long before = threads.getThreadCpuTime(drawer.threadId());
            Thread.sleep(1000);
            long used = threads.getThreadCpuTime(drawer.threadId()) - before;
            assertTrue(drawer.isAlive(), "the draw still waits for the source");
            assertTrue(used < 100_000_000L, "a waiting draw used " + used / 1_000_000 + " ms of CPU in 1 s");
            TestEntropySources.Blocking.BLOCKING.getAndSet(null).countDown();
            drawer.join();
        }
    }

    /**
     * Issue 15 item 14: a source that blocks fails the draw, reseed() and generateSeed()
     * after reseeddrbg.entropyTimeout with an exception that says so; it never hangs them.
     */
    @Test
    void aBlockingEntropySourceFailsDrawsAfterTheTimeout() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.entropySource", "test-blocking").set("reseeddrbg.entropyTimeout", "300ms");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]); // answers for now
            TestEntropySources.Blocking.BLOCKING.set(new java.util.concurrent.CountDownLatch(1));
            page.notify("vm-snapshot");
            List<org.junit.jupiter.api.function.Executable> calls = List.of(
                    () -> random.nextBytes(new byte[32]), random::reseed, () -> random.generateSeed(16));
            for (org.junit.jupiter.api.function.Executable call : calls) {
                long start = System.nanoTime();
                java.security.ProviderException e = assertThrows(java.security.ProviderException.class,
                        () -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                                java.time.Duration.ofSeconds(20), call));
                assertTrue(e.getMessage().contains("did not return") && e.getMessage().contains("within 300ms")
                        && e.getMessage().contains("reseeddrbg.entropyTimeout"), e.getMessage());
                assertTrue(System.nanoTime() - start >= 250_000_000L, "it waited for the source first");
            }
            // Still hung: once a few calls are outstanding, draws fail at once instead of piling up threads.
            assertThrows(java.security.ProviderException.class, () -> random.nextBytes(new byte[32]));
            java.security.ProviderException fast = assertThrows(java.security.ProviderException.class,
                    () -> random.nextBytes(new byte[32]));
            assertTrue(fast.getMessage().contains("calls that never returned"), fast.getMessage());
            TestEntropySources.Blocking.BLOCKING.getAndSet(null).countDown();
            Thread.sleep(100);
            random.nextBytes(new byte[32]); // the source answers again, and so do draws
        }
    }

    /** Issue 15 item 1: an Error in the reseed after a word change must not leave the old seed marked new. */
    @Test
    void anErrorDuringTheReseedAfterANotificationLeavesTheStateUninstantiated() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.entropySource", "test-hooked").set("reseeddrbg.bufferSize", "0");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            byte[] out = new byte[32];
            random.nextBytes(out);
            for (Error error : List.of(new StackOverflowError("injected"), new OutOfMemoryError("injected"),
                    new AssertionError("injected"))) {
                page.notify("vm-snapshot");
                TestEntropySources.Hooked.NEXT_FILL.set(() -> {
                    throw error;
                });
                java.util.Arrays.fill(out, (byte) 0);
                Error thrown = assertThrows(Error.class, () -> random.nextBytes(out));
                assertEquals(error, thrown);
                assertTrue(TestEntropySources.allZero(out), "no byte of the failed draw is handed out");
                long instantiated = ProviderCounters.reseeds("instantiate");
                random.nextBytes(out);
                assertEquals(instantiated + 1, ProviderCounters.reseeds("instantiate"),
                        "after " + error + " the next draw instantiates from fresh entropy, not the old seed");
            }
        }
    }

    /**
     * Issue 15 item 12: an InternalError from the entropy source is not a truncated page. It
     * reaches the caller (old code took it for page loss and went round again, remapping
     * the healthy page), the page stays bound, and the state instantiates afresh.
     */
    @Test
    void anInternalErrorFromTheEntropySourceIsNotPageLoss() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.entropySource", "test-hooked").set("reseeddrbg.bufferSize", "0")
                    .set("reseeddrbg.onMissingPage", "fail");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            page.notify("vm-snapshot");
            InternalError injected = new InternalError("injected by the entropy source");
            TestEntropySources.Hooked.NEXT_FILL.set(() -> {
                throw injected;
            });
            assertEquals(injected, assertThrows(InternalError.class, () -> random.nextBytes(new byte[32])));
            assertTrue(random.toString().contains("page=" + page.path()) && !random.toString().contains("lost"),
                    random.toString());
            long instantiated = ProviderCounters.reseeds("instantiate");
            random.nextBytes(new byte[32]);
            assertEquals(instantiated + 1, ProviderCounters.reseeds("instantiate"));
        }
    }

    /**
     * Issue 16 item 0: a real StackOverflowError inside draws (a deep caller stack, tried at
     * every depth near the limit) must not leave a stripe locked; afterwards other threads,
     * more of them than there are stripes, all draw.
     */
    @Test
    void aStackOverflowInsideDrawsLeavesNoStripeLocked() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.bufferSize", "64"); // refills often, so overflows land in every part of a draw
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            AtomicInteger overflows = new AtomicInteger();
            for (int episode = 0; episode < 20; episode++) {
                if (episode % 2 == 1) {
                    page.notify("vm-snapshot"); // and into the reseed path
                }
                Thread deep = new Thread(null, () -> {
                    random.nextBytes(new byte[100]); // classes initialised at a normal depth
                    recurse(random, overflows);
                }, "deep-" + episode, 256 * 1024);
                deep.start();
                deep.join(TimeUnit.SECONDS.toMillis(60));
                if (deep.isAlive()) {
                    StackTraceElement[] at = deep.getStackTrace();
                    throw new AssertionError("the deep thread did not finish; it is at "
                            + java.util.Arrays.toString(java.util.Arrays.copyOf(at, Math.min(at.length, 12))));
                }
            }
            assertTrue(overflows.get() > 0, "draws overflowed the stack");
            int threads = 4 * Runtime.getRuntime().availableProcessors() + 4;
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                List<Future<?>> draws = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    draws.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            random.nextBytes(new byte[200]);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : draws) {
                    f.get(30, TimeUnit.SECONDS); // a leaked stripe makes some thread wait forever
                }
            }
        }
    }

    /** Recurses until the stack overflows, then draws once at every depth on the way back. */
    private static void recurse(SecureRandom random, AtomicInteger overflows) {
        try {
            recurse(random, overflows);
        } catch (StackOverflowError deeper) {
            // the bottom: from here up, each level draws once with a little more stack
        }
        try {
            random.nextBytes(new byte[100]);
        } catch (StackOverflowError e) {
            overflows.incrementAndGet();
        }
    }
}
