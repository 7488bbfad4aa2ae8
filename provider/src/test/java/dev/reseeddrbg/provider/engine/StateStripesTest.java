package dev.reseeddrbg.provider.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The stripe locks: one owner per stripe at a time, and waiters get in once a stripe is free. */
class StateStripesTest {
    /** The lock alone: no states are created (the supplier gives none). */
    private static StateStripes stripesWithoutStates() {
        return new StateStripes(() -> null);
    }

    /** What the test keeps per stripe: how many threads are inside, and a counter only owners touch. */
    private static final class Occupancy {
        final AtomicInteger inside = new AtomicInteger();
        int unguarded; // a plain field: concurrent owners would lose updates
    }

    @Test
    void noStripeEverHasTwoOwnersEvenWithMoreThreadsThanStripesAndCores() throws Exception {
        StateStripes stripes = stripesWithoutStates();
        Map<StateStripes.Stripe, Occupancy> seen = new ConcurrentHashMap<>(); // Stripe has identity equality
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger draws = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 50_000; i++) {
                        StateStripes.Stripe s = stripes.lock();
                        Occupancy o = seen.computeIfAbsent(s, k -> new Occupancy());
                        if (o.inside.incrementAndGet() != 1) {
                            violations.incrementAndGet();
                        }
                        o.unguarded++;
                        draws.incrementAndGet();
                        o.inside.decrementAndGet();
                        s.unlock();
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(2, TimeUnit.MINUTES);
            }
        }
        assertEquals(0, violations.get(), "a stripe had two owners at once");
        assertEquals(draws.get(), seen.values().stream().mapToInt(o -> o.unguarded).sum(),
                "updates made under a stripe were lost");
    }

    @Test
    void aThreadFindingEveryStripeBusyWaitsAndGetsInWhenOneIsFreed() throws Exception {
        StateStripes stripes = stripesWithoutStates();
        List<StateStripes.Stripe> held = new ArrayList<>();
        while (true) { // take every stripe from this thread
            StateStripes.Stripe s = stripes.lock();
            if (held.contains(s)) {
                throw new AssertionError("a stripe was handed out twice");
            }
            held.add(s);
            if (held.size() == stripes.size()) {
                break;
            }
        }
        try (ExecutorService waiting = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<StateStripes.Stripe> waiter = waiting.submit(stripes::lock);
            Thread.sleep(200);
            assertFalse(waiter.isDone(), "every stripe is held, so the waiter must wait");
            StateStripes.Stripe freed = held.getLast();
            freed.unlock();
            assertSame(freed, waiter.get(5, TimeUnit.SECONDS), "the waiter gets the stripe that was freed");
        }
    }
}
