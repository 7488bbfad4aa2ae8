package dev.reseeddrbg.provider.epoch;

/** Where a binding's notifications come from, as the MBean and {@code toString()} name it. */
public enum NotificationSource {
    /** The page file the configuration names, mapped read-only: the real thing. */
    PAGE("page"),
    /** The in-process page of reseeddrbg.onMissingPage=embedded: a timer, no VM restores. */
    EMBEDDED("embedded"),
    /** reseeddrbg.onMissingPage=reseed-every-draw: no page; every draw reseeds. */
    RESEED_EVERY_DRAW("reseed-every-draw");

    private final String label;

    NotificationSource(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
