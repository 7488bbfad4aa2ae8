package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedProvider;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/** Asks for ReseedDRBG once and prints {@code refusal=} the reason getInstance gave, or {@code none}. */
public final class RefusalProbe {
    private RefusalProbe() {
    }

    public static void main(String[] args) {
        try {
            SecureRandom.getInstance("ReseedDRBG", new ReseedProvider());
            System.out.println("refusal=none");
        } catch (NoSuchAlgorithmException e) {
            System.out.println("refusal=" + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }
}
