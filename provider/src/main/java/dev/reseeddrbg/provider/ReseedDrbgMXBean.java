package dev.reseeddrbg.provider;

import java.util.Map;

/**
 * The provider's counters, registered as {@code dev.reseeddrbg:type=Provider} on the
 * platform MBean server when the provider is first used. Totals cover every instance in
 * the JVM.
 */
public interface ReseedDrbgMXBean {
    /** The name the MBean is registered under. */
    String OBJECT_NAME = "dev.reseeddrbg:type=Provider";

    /** Reseeds caused by a change of the page word or the VMClock restore counter (causes epoch-change and vm-restore), all instances together. */
    long getReseeds();

    /** Reseeds and instantiations by cause label (epoch-change, interval, age, ...). */
    Map<String, Long> getReseedsByCause();

    /** Outputs thrown away because the word changed while they were generated. */
    long getDiscardedOutputs();

    /**
     * Draws served straight from the kernel's getrandom(2): the word changed again while
     * the retry after a discard was generated (a notification storm), or a restore's first
     * instant found no CPU random instruction to seed with.
     */
    long getKernelServedDraws();

    /** The word now on the page of the most recently bound instance. */
    int getWord();

    /** The page path the most recently bound instance was configured with. */
    String getPagePath();

    /** page, embedded or reseed-every-draw. */
    String getNotificationSource();

    /** The notifier that wrote the current word ("none" before any notification). */
    String getLastNotifier();

    /** getrandom(2) or /dev/urandom, or the name of a custom entropy source. */
    String getEntropySource();

    /** The VMClock device watched beside the page and the counter read ("/dev/vmclock0 (disruption_marker)"), or why none is. */
    String getVmClock();

    /** The CPU instruction mixed into seedings at a restore (RDSEED, RDRAND), or why none can be. */
    String getCpuRandom();

    /** Seedings at a restore's first instant that mixed the CPU's random bytes into the kernel's. */
    long getCpuInputSeedings();
}
