package dev.reseeddrbg.provider.testing;

import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.provider.spi.EntropySource;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/** Entropy sources the tests plug in through the real ServiceLoader path. */
public final class TestEntropySources {
    private TestEntropySources() {
    }

    /** Returns one 16-byte block over and over: the health test must stop it. */
    public static final class Stuck implements EntropySource {
        @Override
        public String name() {
            return "test-stuck";
        }

        @Override
        public void fill(byte[] out) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) ((i % 16) * 31 + 7);
            }
        }
    }

    /** Always fails, like a kernel returning an error. */
    public static final class Failing implements EntropySource {
        @Override
        public String name() {
            return "test-failing";
        }

        @Override
        public void fill(byte[] out) {
            throw new java.security.ProviderException("test source: entropy unavailable");
        }
    }

    /**
     * The kernel's entropy, plus a hook that runs on the next fill: lets a test land a
     * notification in the middle of a draw (a reseed asks for entropy mid-draw).
     */
    public static final class Hooked implements EntropySource {
        public static final AtomicReference<Runnable> NEXT_FILL = new AtomicReference<>();

        @Override
        public String name() {
            return "test-hooked";
        }

        @Override
        public void fill(byte[] out) {
            KernelEntropy.instance().fill(out);
            Runnable hook = NEXT_FILL.getAndSet(null);
            if (hook != null) {
                hook.run();
            }
        }
    }

    /**
     * The kernel's entropy until {@link #BLOCKING} is set; then every fill blocks until the
     * latch in it is released, like a hung HSM or network source.
     */
    public static final class Blocking implements EntropySource {
        public static final AtomicReference<java.util.concurrent.CountDownLatch> BLOCKING = new AtomicReference<>();

        @Override
        public String name() {
            return "test-blocking";
        }

        @Override
        public void fill(byte[] out) {
            java.util.concurrent.CountDownLatch latch = BLOCKING.get();
            while (latch != null && latch.getCount() > 0) {
                try {
                    latch.await();
                } catch (InterruptedException e) {
                    // a hung source does not care
                }
            }
            KernelEntropy.instance().fill(out);
        }
    }

    /** Hands out the blocks of a fixed cycle of {@code length} distinct 16-byte blocks, over and over. */
    public static class Cycling implements EntropySource {
        private final int length;
        private int next;

        protected Cycling(int length) {
            this.length = length;
        }

        public Cycling() {
            this(2);
        }

        @Override
        public String name() {
            return "test-cycling";
        }

        @Override
        public synchronized void fill(byte[] out) {
            for (int i = 0; i < out.length; i++) {
                if (i % 16 == 0 && i > 0) {
                    next = (next + 1) % length;
                }
                out[i] = (byte) (java.util.Objects.hash(next, i % 16) * 0x9E3779B1 >>> 24);
            }
            next = (next + 1) % length;
        }
    }

    /**
     * A clone's kernel before it reseeds: every fill is SHA-256(seed, call, block) with the
     * seed from the system property {@value #SEED_PROPERTY}, so two JVMs with the same seed
     * get the same bytes in the same order, as two restores of one snapshot get from
     * getrandom(2) until their kernels reseed.
     */
    public static final class Replaying implements EntropySource {
        public static final String SEED_PROPERTY = "test.replaySeed";
        private final byte[] seed = System.getProperty(SEED_PROPERTY, "replay").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        private int calls;

        @Override
        public String name() {
            return "test-replay";
        }

        @Override
        public synchronized void fill(byte[] out) {
            try {
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                int call = calls++;
                for (int off = 0, block = 0; off < out.length; off += 32, block++) {
                    sha.update(seed);
                    sha.update(java.nio.ByteBuffer.allocate(8).putInt(call).putInt(block).array());
                    byte[] d = sha.digest();
                    System.arraycopy(d, 0, out, off, Math.min(32, out.length - off));
                }
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** For comparisons: a block of zeros of the given size. */
    public static boolean allZero(byte[] b) {
        return Arrays.equals(b, new byte[b.length]);
    }
}
