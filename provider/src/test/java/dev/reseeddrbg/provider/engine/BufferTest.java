package dev.reseeddrbg.provider.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.testing.PageFixture;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate-ahead buffer: served in order while the word holds, never across a change. */
class BufferTest {
    @TempDir
    Path dir;

    private static DrbgState onlyState(ReseedDrbgSpi spi) {
        List<DrbgState> states = new ArrayList<>();
        spi.stripes().forEachState(false, states::add);
        assertEquals(1, states.size());
        return states.getFirst();
    }

    @Test
    void bufferedBytesAreServedWhileQuietAndDroppedOnANotification() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            ReseedDrbgSpi spi = new ReseedDrbgSpi(null);
            SecureRandom random = new SecureRandom(spi, new ReseedProvider()) {
                private static final long serialVersionUID = 1L;
            };
            random.nextBytes(new byte[16]);
            DrbgState state = onlyState(spi);

            byte[] pending = state.peekBuffered(16);
            byte[] quiet = new byte[16];
            random.nextBytes(quiet);
            assertArrayEquals(pending, quiet, "without a notification the draw is the next buffered bytes");

            byte[] stale = state.peekBuffered(16);
            page.notify("vm-snapshot");
            byte[] fresh = new byte[16];
            random.nextBytes(fresh);
            assertFalse(Arrays.equals(stale, fresh), "after a notification the buffered bytes are never served");
        }
    }
}
