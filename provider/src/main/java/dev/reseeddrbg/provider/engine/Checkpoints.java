package dev.reseeddrbg.provider.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Checkpoint/restore (CRaC, AWS Lambda SnapStart): a checkpoint is a snapshot taken on
 * purpose, and every restore is a clone. Before the checkpoint every live instance drops
 * its states (buffers zeroed), so the image holds no DRBG output or state to replay;
 * after restore they are dropped again (in case a draw slipped in between) and the
 * in-process page, if used, fires {@code crac-restore}. Every state therefore
 * instantiates from fresh entropy, in the restored process, before its next byte.
 *
 * <p>This class does not touch org.crac itself, so the provider runs without the
 * org.crac jar; {@link CracResource} is only loaded when it is present.
 */
public final class Checkpoints {
    /** Instances are tracked weakly: tracking must not keep a discarded SecureRandom alive. */
    private static final Set<ReseedDrbgSpi> LIVE = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));
    private static volatile boolean hooked;

    private Checkpoints() {
    }

    static void track(ReseedDrbgSpi spi) {
        LIVE.add(spi);
        if (!hooked) {
            hook();
        }
    }

    private static synchronized void hook() {
        if (hooked) {
            return;
        }
        hooked = true;
        try {
            CracResource.register();
        } catch (LinkageError noCrac) {
            System.getLogger("dev.reseeddrbg").log(System.Logger.Level.DEBUG,
                    "org.crac not available; no checkpoint hooks", noCrac);
        }
    }

    /** Before a checkpoint: drop every state of every live instance, zeroing its buffer. */
    public static void beforeCheckpoint() {
        for (ReseedDrbgSpi spi : snapshot()) {
            spi.uninstantiateAll();
        }
    }

    /** After a restore: drop again, and tell the in-process page, so nothing from the image is used. */
    public static void afterRestore() {
        beforeCheckpoint();
        dev.reseeddrbg.provider.epoch.CurrentBinding.notifyEmbedded("crac-restore");
    }

    private static List<ReseedDrbgSpi> snapshot() {
        synchronized (LIVE) {
            return new ArrayList<>(LIVE);
        }
    }
}
