package dev.reseeddrbg.provider.drbg;

import java.security.GeneralSecurityException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.Mac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Bouncy Castle's {@code Mac} interface over the JDK's HMAC, for the same reason as
 * {@link JdkDigest}. The name has Bouncy Castle's form ({@code SHA-256/HMAC}), from which
 * its HMAC_DRBG reads the maximum security strength.
 */
final class JdkHmac implements Mac {
    private final javax.crypto.Mac mac;
    private final String jdkName;
    private final String bcName;

    JdkHmac(String digestName) {
        this.jdkName = "Hmac" + digestName.replace("-", "");
        this.bcName = digestName + "/HMAC";
        try {
            this.mac = javax.crypto.Mac.getInstance(jdkName);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no Mac " + jdkName, e);
        }
    }

    @Override
    public void init(CipherParameters params) {
        try {
            mac.init(new SecretKeySpec(((KeyParameter) params).getKey(), jdkName));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot key " + jdkName, e);
        }
    }

    @Override
    public String getAlgorithmName() {
        return bcName;
    }

    @Override
    public int getMacSize() {
        return mac.getMacLength();
    }

    @Override
    public void update(byte in) {
        mac.update(in);
    }

    @Override
    public void update(byte[] in, int inOff, int len) {
        mac.update(in, inOff, len);
    }

    @Override
    public int doFinal(byte[] out, int outOff) {
        try {
            mac.doFinal(out, outOff);
            return mac.getMacLength();
        } catch (ShortBufferException e) {
            throw new IllegalStateException("MAC output does not fit", e);
        }
    }

    @Override
    public void reset() {
        mac.reset();
    }
}
