package dev.reseeddrbg.provider.engine;

import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * The org.crac resource behind {@link Checkpoints}. org.crac holds resources weakly, so
 * the one instance is kept in a static field. Both callbacks only drop references and
 * zero buffers: microseconds, far below Lambda's 10 s hook limit.
 */
public final class CracResource implements Resource {
    private static final CracResource INSTANCE = new CracResource();

    private CracResource() {
    }

    static void register() {
        Core.getGlobalContext().register(INSTANCE);
    }

    /** The registered resource, for tests that drive the callbacks. */
    public static CracResource instance() {
        return INSTANCE;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        Checkpoints.beforeCheckpoint();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        Checkpoints.afterRestore();
    }
}
