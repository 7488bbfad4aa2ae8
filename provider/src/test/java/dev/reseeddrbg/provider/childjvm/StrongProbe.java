package dev.reseeddrbg.provider.childjvm;

import java.security.SecureRandom;

/**
 * Runs in a child JVM configured by conf/reseed-drbg.security: asks for
 * SecureRandom.getInstanceStrong() twice and prints {@code strongN=algorithm} or
 * {@code strongN=!ExceptionClass}.
 */
public final class StrongProbe {
    private StrongProbe() {
    }

    public static void main(String[] args) {
        for (int i = 1; i <= 2; i++) {
            try {
                System.out.println("strong" + i + "=" + SecureRandom.getInstanceStrong().getAlgorithm());
            } catch (Exception e) {
                System.out.println("strong" + i + "=!" + e.getClass().getSimpleName());
            }
        }
    }
}
