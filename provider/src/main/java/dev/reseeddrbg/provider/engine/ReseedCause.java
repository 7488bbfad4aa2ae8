package dev.reseeddrbg.provider.engine;

/** Why a state was (re)seeded: the label appears in the MBean, the JFR event and logs. */
public enum ReseedCause {
    /** The page word differed from the word the state was seeded under. */
    EPOCH_CHANGE("epoch-change"),
    /** The hypervisor's restore counter (VMClock) differed from the one the state was seeded under. */
    VM_RESTORE("vm-restore"),
    /** reseeddrbg.reseedInterval generate calls since the last seed. */
    INTERVAL("interval"),
    /** reseeddrbg.reseedAge since the last seed. */
    AGE("age"),
    /** A request with prediction resistance (SP 800-90A 9.3.1 step 7.1). */
    PREDICTION_RESISTANCE("prediction-resistance"),
    /** reseed(), setSeed() or a checkpoint/restore hook. */
    EXPLICIT("explicit"),
    /** First seeding of a state (SP 800-90A 9.1). */
    INSTANTIATE("instantiate"),
    /** reseeddrbg.onMissingPage=reseed-every-draw: no page to watch, so every draw reseeds. */
    EVERY_DRAW("every-draw");

    private final String label;

    ReseedCause(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
