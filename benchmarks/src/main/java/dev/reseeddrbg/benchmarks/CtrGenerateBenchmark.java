package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.provider.drbg.Mechanism;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.prng.BasicEntropySourceProvider;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.CTRSP800DRBG;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where one 16 KiB CTR_DRBG generate call (one buffer refill) goes: our CTR_DRBG as shipped
 * (one JDK AES/CTR call for the output and the update step); Bouncy Castle's CTR_DRBG over
 * Bouncy Castle's own AES, and over a "cipher" that only copies, which leaves Bouncy
 * Castle's per-block loop (counter increment and copy, 16 bytes at a time) as the floor no
 * AES under it can go below; against the JDK's AES/CTR making 16 KiB of keystream in one
 * call under an unchanging key (no key schedule, which a generate does need).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class CtrGenerateBenchmark {
    private static final int SIZE = 16384;

    private final byte[] out = new byte[SIZE];
    private final byte[] zeros = new byte[SIZE];
    private final byte[] iv = new byte[16];
    private SP80090DRBG shipped;
    private SP80090DRBG bcAes;
    private SP80090DRBG noCipher;
    private Cipher ctr;
    private SecretKeySpec key;

    /** Seeds the engines once in setup; the benchmarks never reseed. */
    private static final EntropySource SEED = new BasicEntropySourceProvider(new SecureRandom(), true).get(256);

    /** A block "cipher" that copies its input: what Bouncy Castle's loop costs around the cipher. */
    private static final class CopyCipher implements BlockCipher {
        @Override
        public void init(boolean forEncryption, CipherParameters params) {
        }

        @Override
        public String getAlgorithmName() {
            return "AES";
        }

        @Override
        public int getBlockSize() {
            return 16;
        }

        @Override
        public int processBlock(byte[] in, int inOff, byte[] o, int outOff) {
            System.arraycopy(in, inOff, o, outOff, 16);
            return 16;
        }

        @Override
        public void reset() {
        }
    }

    @Setup
    public void setup() throws GeneralSecurityException {
        shipped = Mechanism.CTR_DRBG.instantiate("AES-256", 256, SEED, null, new byte[16]);
        bcAes = new CTRSP800DRBG(AESEngine.newInstance(), 256, 256, SEED, null, new byte[16]);
        noCipher = new CTRSP800DRBG(new CopyCipher(), 256, 256, SEED, null, new byte[16]);
        ctr = Cipher.getInstance("AES/CTR/NoPadding");
        key = new SecretKeySpec(new byte[32], "AES");
    }

    @Benchmark
    public byte[] shippedEngine() {
        shipped.generate(out, null, false);
        return out;
    }

    @Benchmark
    public byte[] bouncyCastleAes() {
        bcAes.generate(out, null, false);
        return out;
    }

    @Benchmark
    public byte[] loopWithoutCipher() {
        noCipher.generate(out, null, false);
        return out;
    }

    @Benchmark
    public byte[] jdkAesCtrKeystream() throws GeneralSecurityException {
        ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
        ctr.doFinal(zeros, 0, SIZE, out, 0);
        return out;
    }
}
