package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.page.InvalidPageException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which binding serves one configured page path now: the one owner that an instance's
 * SPI, every one of its DRBG states and the MBean share, so that after a page is lost all
 * of them name the same replacement.
 *
 * <p>{@link #get} is a plain read with no side effects (toString and MBean getters use
 * it). Only {@link #replace}, called by the state that found the binding lost, maps a
 * file or starts a fallback; it is also how an owner leaves a fallback once the page is
 * back ({@link EpochBinding#lostOrReplaced}).
 */
public final class CurrentBinding {
    private record Key(Path path, MissingPagePolicy policy) {
    }

    private static final System.Logger LOG = System.getLogger("dev.reseeddrbg");
    private static final ConcurrentHashMap<Key, CurrentBinding> OWNERS = new ConcurrentHashMap<>();

    private final Path path;
    private final MissingPagePolicy policy;
    /** Never null; replaced only by {@link #replace}, with a binding for the same path. */
    private volatile EpochBinding current;

    private CurrentBinding(Path path, MissingPagePolicy policy, EpochBinding current) {
        this.path = path;
        this.policy = policy;
        this.current = current;
    }

    /**
     * The owner for {@code path} under {@code policy}: its mapped page if usable, else what
     * {@code policy} says. An owner on a fallback or a lost page is not handed to new
     * instances; they get a new owner, which looks at the path again.
     *
     * @throws InvalidPageException naming the path and reason when the page is unusable
     *         and the policy is {@link MissingPagePolicy#FAIL}
     */
    public static CurrentBinding of(Path path, MissingPagePolicy policy) throws InvalidPageException {
        Key key = new Key(path, policy);
        CurrentBinding owner = OWNERS.get(key);
        if (owner != null && owner.current.source() == NotificationSource.PAGE && !owner.current.lost()) {
            return owner;
        }
        CurrentBinding fresh = new CurrentBinding(path, policy, resolve(path, policy));
        OWNERS.put(key, fresh);
        return fresh;
    }

    /** Benchmark seam, not for production: an owner serving {@code binding}, re-binding with onMissingPage=fail. */
    public static CurrentBinding benchmarkSeam(EpochBinding binding) {
        return new CurrentBinding(binding.configuredPath(), MissingPagePolicy.FAIL, binding);
    }

    /** The binding in use now. */
    public EpochBinding get() {
        return current;
    }

    /**
     * Moves this owner off {@code lost} to what the path gives now (a new mapping, or the
     * policy's fallback), unless another state already did; returns the binding in use.
     *
     * @throws InvalidPageException when the path has no usable page and the policy is
     *         {@link MissingPagePolicy#FAIL}; the owner then stays on the lost binding, and
     *         the next draw tries again
     */
    public synchronized EpochBinding replace(EpochBinding lost) throws InvalidPageException {
        if (current == lost) {
            current = resolve(path, policy);
            if (lost.source() != NotificationSource.PAGE && current.source() == NotificationSource.PAGE) {
                LOG.log(System.Logger.Level.INFO, "ReseedDRBG epoch page {0} is back; instance rebound", path);
            }
        }
        return current;
    }

    private static EpochBinding resolve(Path path, MissingPagePolicy policy) throws InvalidPageException {
        try {
            return PageMappings.map(path);
        } catch (InvalidPageException problem) {
            return switch (policy) {
                case FAIL -> throw problem;
                case EMBEDDED -> FallbackPages.embedded(path, problem.getMessage());
                case RESEED_EVERY_DRAW -> FallbackPages.reseedEveryDraw(path, problem.getMessage());
            };
        }
    }

    /**
     * Fires {@code notifier} on the in-process page if one exists (for the checkpoint
     * restore hook); pages owned by a kernel are the kernel's to notify.
     */
    public static void notifyEmbedded(String notifier) {
        FallbackPages.notifyEmbedded(notifier);
    }
}
