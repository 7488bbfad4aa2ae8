package dev.reseeddrbg.provider.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRaC / SnapStart hooks, driven through the registered org.crac resource's callbacks. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static List<DrbgState> states(ReseedDrbgSpi spi) {
        List<DrbgState> states = new ArrayList<>();
        spi.stripesForTest().forEachState(false, states::add);
        return states;
    }

    @Test
    void checkpointZeroesEveryStateAndRestoreMakesThemInstantiateAfresh() throws Exception {
        try (PageFixture _ = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = new SecureRandom(spi, new ReseedProvider()) {
                private static final long serialVersionUID = 1L;
            };
            random.nextBytes(new byte[32]);
            DrbgState state = states(spi).getFirst();
            assertTrue(state.instantiated());
            assertFalse(state.bufferForTest().isZeroForTest(), "the buffer holds generated-ahead output");

            CracResource.instance().beforeCheckpoint(null);
            assertFalse(state.instantiated(), "engine dropped before the checkpoint");
            assertTrue(state.bufferForTest().isZeroForTest(), "buffer zeroed before the checkpoint");

            long instantiated = ProviderCounters.reseeds("instantiate");
            CracResource.instance().afterRestore(null);
            random.nextBytes(new byte[32]);
            assertEquals(instantiated + 1, ProviderCounters.reseeds("instantiate"),
                    "the first draw after restore seeds from fresh entropy");
        }
    }

    @Test
    void aStateCreatedBetweenCheckpointAndRestoreIsDroppedToo() throws Exception {
        try (PageFixture _ = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = new SecureRandom(spi, new ReseedProvider()) {
                private static final long serialVersionUID = 1L;
            };
            CracResource.instance().beforeCheckpoint(null);
            random.nextBytes(new byte[32]); // slipped in before the image was taken
            assertTrue(states(spi).getFirst().instantiated());
            CracResource.instance().afterRestore(null);
            assertFalse(states(spi).getFirst().instantiated());
            assertTrue(states(spi).getFirst().bufferForTest().isZeroForTest());
        }
    }

    @Test
    void restoreFiresCracRestoreOnTheEmbeddedPage() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.page", dir.resolve("absent").toString());
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
            random.nextBytes(new byte[8]);
            int before = (Integer) ProviderCounters.attribute("Word");
            CracResource.instance().afterRestore(null);
            int after = (Integer) ProviderCounters.attribute("Word");
            assertTrue(before != after);
            assertEquals("crac-restore", ProviderCounters.attribute("LastNotifier"));
        }
    }
}
