package dev.reseeddrbg.demo;

import dev.reseeddrbg.provider.ReseedProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A child JVM playing one VM restored from a set of snapshots: instance i starts in the
 * state of snapshot i (SnapshotEntropySource with seed i). It draws once from every
 * instance ("p1"), waits for "go" on stdin (its kernel has fired vm-snapshot by then),
 * and draws again ("p2 i HEX OUTCOME").
 *
 * <p>The second argument says how the first draw after the notification goes, as an
 * application would meet it:
 * <ul>
 * <li>{@code plain}: it simply draws;</li>
 * <li>{@code stack-overflow}: it draws from deep in a recursion, at every stack depth
 *     from the deepest up, catching each StackOverflowError, until a draw succeeds: one
 *     of those draws runs out of stack at each point of the reseed in turn;</li>
 * <li>{@code heap-exhaustion}: it fills the heap first, so that the draw meets an
 *     OutOfMemoryError at its first allocation, catches it, frees the heap and draws
 *     again.</li>
 * </ul>
 * OUTCOME counts the Errors the application caught before the draw it prints.
 */
public final class CloneWorker {
    private CloneWorker() {
    }

    public static void main(String[] args) throws Exception {
        int pairs = Integer.parseInt(args[0]);
        String mode = args.length > 1 ? args[1] : "plain";
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
            int[] errors = new int[1];
            byte[] drawn = switch (mode) {
                case "plain" -> draw(clones[i]);
                case "stack-overflow" -> drawDeep(clones[i], errors);
                case "heap-exhaustion" -> drawAfterHeapExhaustion(clones[i], errors);
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            };
            System.out.println("p2 " + i + " " + hex.formatHex(drawn) + " " + errors[0]);
        }
    }

    private static byte[] draw(SecureRandom random) {
        byte[] out = new byte[32];
        random.nextBytes(out);
        return out;
    }

    /** Recurses until the stack runs out, then tries the draw at each depth on the way back up. */
    private static byte[] drawDeep(SecureRandom random, int[] errors) {
        try {
            byte[] deeper = drawDeep(random, errors);
            if (deeper != null) {
                return deeper;
            }
        } catch (StackOverflowError bottom) {
            // the deepest frame: start drawing here
        }
        try {
            byte[] out = new byte[32];
            random.nextBytes(out);
            return out;
        } catch (StackOverflowError tooDeep) {
            errors[0]++;
            return null;
        }
    }

    private static byte[] drawAfterHeapExhaustion(SecureRandom random, int[] errors) {
        byte[] out = new byte[32];
        List<byte[]> hog = new ArrayList<>(1 << 16);
        for (int size = 1 << 20; size >= 8; ) {
            try {
                hog.add(new byte[size]);
            } catch (OutOfMemoryError full) {
                size /= 2;
            }
        }
        try {
            random.nextBytes(out);
        } catch (OutOfMemoryError failed) {
            errors[0]++;
        }
        hog.clear();
        random.nextBytes(out);
        return out;
    }
}
