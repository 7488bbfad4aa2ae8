package dev.reseeddrbg.provider.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An instance's DRBG states, one per stripe, each check the page word on their own (threat model G3). */
class EveryStateTest {
    @TempDir
    Path dir;

    @Test
    void everyStateChecksTheWordOnItsOwn() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = new SecureRandom(spi, new ReseedProvider()) {
                private static final long serialVersionUID = 1L;
            };
            StateStripes stripes = spi.stripesForTest();
            assertTrue(stripes.size() >= 3, "needs three stripes: this thread's and two others");
            int mine = stripes.homeOf(Thread.currentThread().threadId());
            int first = (mine + 1) % stripes.size();
            int second = (mine + 2) % stripes.size();
            long instantiated = ProviderCounters.reseeds("instantiate");
            // Two threads on two different stripes draw one after the other: the instance
            // now has two states.
            drawOnStripe(stripes, first, random);
            drawOnStripe(stripes, second, random);
            assertEquals(instantiated + 2, ProviderCounters.reseeds("instantiate"), "two states");

            long before = ProviderCounters.reseeds();
            page.notify("vm-snapshot");
            assertEquals(before, ProviderCounters.reseeds(), "nothing reseeds until a state draws");
            drawOnStripe(stripes, first, random);
            assertEquals(before + 1, ProviderCounters.reseeds(), "the first state reseeds at its next draw");
            drawOnStripe(stripes, second, random);
            assertEquals(before + 2, ProviderCounters.reseeds(), "and so does the second, independently");
            drawOnStripe(stripes, first, random);
            drawOnStripe(stripes, second, random);
            assertEquals(before + 2, ProviderCounters.reseeds(), "once each");
        }
    }

    /** Draws once, alone, on a new thread whose home stripe is {@code stripe}. */
    private static void drawOnStripe(StateStripes stripes, int stripe, SecureRandom random) throws InterruptedException {
        while (true) {
            Thread t = Thread.ofPlatform().unstarted(() -> random.nextBytes(new byte[16]));
            if (stripes.homeOf(t.threadId()) == stripe) {
                t.start();
                t.join();
                return;
            }
        }
    }
}
