package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.ReseedDrbgMXBean;
import dev.reseeddrbg.provider.entropy.CpuRandom;
import dev.reseeddrbg.provider.entropy.KernelEntropy;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.VmClockWatch;
import java.lang.management.ManagementFactory;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * JVM-wide counters behind the MBean. Only reseeds and discards touch them, never an
 * ordinary draw, so they cost nothing on the hot path.
 */
public final class ProviderStats implements ReseedDrbgMXBean {
    private static final ProviderStats INSTANCE = new ProviderStats();

    private final Map<ReseedCause, LongAdder> reseeds = new EnumMap<>(ReseedCause.class);
    private final LongAdder discarded = new LongAdder();
    private final LongAdder kernelServed = new LongAdder();
    private final LongAdder cpuInputs = new LongAdder();
    /** The page the most recently created instance watches, followed through losses; null before the first. */
    private volatile CurrentBinding lastBinding;
    private volatile String entropySource = KernelEntropy.NAME;
    private volatile boolean registered;

    private ProviderStats() {
        for (ReseedCause cause : ReseedCause.values()) {
            reseeds.put(cause, new LongAdder());
        }
    }

    public static ProviderStats instance() {
        return INSTANCE;
    }

    /** Registers the MBean once; a JVM without JMX (or a second class loader) just goes without. */
    void registerMBean() {
        if (registered) {
            return;
        }
        synchronized (this) {
            if (registered) {
                return;
            }
            registered = true;
            try {
                ManagementFactory.getPlatformMBeanServer().registerMBean(this, new ObjectName(OBJECT_NAME));
            } catch (JMException | RuntimeException e) {
                System.getLogger("dev.reseeddrbg").log(System.Logger.Level.DEBUG,
                        "MBean " + OBJECT_NAME + " not registered", e);
            }
        }
    }

    void bound(CurrentBinding binding, String entropySourceName) {
        this.lastBinding = binding;
        this.entropySource = entropySourceName;
    }

    void reseeded(ReseedCause cause) {
        reseeds.get(cause).increment();
    }

    void discarded() {
        discarded.increment();
    }

    void servedFromKernel() {
        kernelServed.increment();
    }

    void cpuInputMixed() {
        cpuInputs.increment();
    }

    @Override
    public long getCpuInputSeedings() {
        return cpuInputs.sum();
    }

    @Override
    public String getVmClock() {
        return VmClockWatch.describe();
    }

    @Override
    public String getCpuRandom() {
        CpuRandom cpu = CpuRandom.get();
        return cpu.unavailableReason() == null ? cpu.instruction() : "unavailable: " + cpu.unavailableReason();
    }

    @Override
    public long getKernelServedDraws() {
        return kernelServed.sum();
    }

    @Override
    public long getReseeds() {
        return reseeds.get(ReseedCause.EPOCH_CHANGE).sum() + reseeds.get(ReseedCause.VM_RESTORE).sum();
    }

    @Override
    public Map<String, Long> getReseedsByCause() {
        Map<String, Long> byCause = new LinkedHashMap<>();
        reseeds.forEach((cause, count) -> byCause.put(cause.label(), count.sum()));
        return byCause;
    }

    @Override
    public long getDiscardedOutputs() {
        return discarded.sum();
    }

    private EpochBinding current() {
        CurrentBinding b = lastBinding;
        return b == null ? null : b.get();
    }

    @Override
    public int getWord() {
        EpochBinding b = current();
        return b == null ? 0 : b.reportWord().orElse(0);
    }

    @Override
    public String getPagePath() {
        EpochBinding b = current();
        return b == null ? "" : b.configuredPath().toString();
    }

    @Override
    public String getNotificationSource() {
        EpochBinding b = current();
        return b == null ? "" : b.source().label();
    }

    @Override
    public String getLastNotifier() {
        EpochBinding b = current();
        return b == null ? "" : b.reportWord().stream().mapToObj(b::notifierName).findFirst().orElse("page lost");
    }

    @Override
    public String getEntropySource() {
        return entropySource.equals(KernelEntropy.NAME) ? KernelEntropy.mechanism() : entropySource;
    }
}
