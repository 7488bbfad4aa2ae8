package dev.reseeddrbg.demo;

import dev.reseeddrbg.provider.ReseedProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A child JVM playing one VM restored from a set of snapshots: instance i starts in the
 * state of snapshot i (SnapshotEntropySource with seed i). It draws once from every
 * instance ("p1"), waits for "go" on stdin (its kernel has fired vm-snapshot by then),
 * and draws again ("p2").
 */
public final class CloneWorker {
    private CloneWorker() {
    }

    public static void main(String[] args) throws Exception {
        int pairs = Integer.parseInt(args[0]);
        ReseedProvider provider = new ReseedProvider();
        SecureRandom[] clones = new SecureRandom[pairs];
        for (int i = 0; i < pairs; i++) {
            System.setProperty(SnapshotEntropySource.SEED_PROPERTY, String.format("%08x", i));
            clones[i] = SecureRandom.getInstance("ReseedDRBG", provider);
        }
        HexFormat hex = HexFormat.of();
        byte[] out = new byte[32];
        for (int i = 0; i < pairs; i++) {
            clones[i].nextBytes(out);
            System.out.println("p1 " + i + " " + hex.formatHex(out));
        }
        System.out.println("waiting");
        System.out.flush();
        String go = new BufferedReader(new InputStreamReader(System.in)).readLine();
        if (!"go".equals(go)) {
            throw new IllegalStateException("expected go, got " + go);
        }
        for (int i = 0; i < pairs; i++) {
            clones[i].nextBytes(out);
            System.out.println("p2 " + i + " " + hex.formatHex(out));
        }
    }
}
