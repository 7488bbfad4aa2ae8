package dev.reseeddrbg.simkernel;

import dev.reseeddrbg.page.EpochPage;

/**
 * One registered notifier: something in the kernel that can decide a reseed is due
 * (a VM restore, a timer, an operator). Firing it is one CAS on the page.
 *
 * @param page the page it writes
 * @param id   its ID on that page, 1..255
 * @param name its registered name
 */
public record Notifier(EpochPage page, int id, String name) {

    /** Bumps the word once and returns the word written. */
    public int fire() {
        return page.notify(id);
    }
}
