package dev.reseeddrbg.provider.entropy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.security.ProviderException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The getrandom(2) retry loop, and the real kernel behind it. */
class KernelEntropyTest {

    @Test
    void realKernelEntropyIsFreshEveryCall() {
        byte[] a = new byte[64];
        byte[] b = new byte[64];
        KernelEntropy.instance().fill(a);
        KernelEntropy.instance().fill(b);
        assertFalse(Arrays.equals(a, b));
        assertEquals("getrandom(2)", KernelEntropy.mechanism(), "tests run with --enable-native-access");
    }

    @Test
    void eintrIsRetriedAndShortReadsContinue() {
        AtomicInteger calls = new AtomicInteger();
        byte[] out = new byte[20];
        KernelEntropy.fill(out, (state, buffer, length) -> {
            int call = calls.getAndIncrement();
            if (call == 0) {
                KernelEntropy.setErrno(state, KernelEntropy.EINTR);
                return -1;
            }
            long n = Math.min(length, 7); // short reads of 7 bytes
            for (long i = 0; i < n; i++) {
                buffer.set(ValueLayout.JAVA_BYTE, i, (byte) (0x40 + call));
            }
            return n;
        });
        assertEquals(4, calls.get(), "EINTR, then 7 + 7 + 6 bytes");
        byte[] expected = new byte[20];
        Arrays.fill(expected, 0, 7, (byte) 0x41);
        Arrays.fill(expected, 7, 14, (byte) 0x42);
        Arrays.fill(expected, 14, 20, (byte) 0x43);
        assertArrayEquals(expected, out);
    }

    @Test
    void otherErrorsRaiseAndWriteNothing() {
        byte[] out = new byte[16];
        ProviderException e = assertThrows(ProviderException.class, () -> KernelEntropy.fill(out, (state, buffer, length) -> {
            buffer.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            KernelEntropy.setErrno(state, 5); // EIO
            return -1;
        }));
        assertTrue(e.getMessage().contains("errno 5"), e.getMessage());
        assertArrayEquals(new byte[16], out, "no partial output reaches the caller");
    }

    @Test
    void zeroBytesIsAFailureNotALoop() {
        assertThrows(ProviderException.class, () -> KernelEntropy.fill(new byte[8], (state, buffer, length) -> 0));
    }
}
