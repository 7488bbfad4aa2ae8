/**
 * ReseedDRBG: a SecureRandom provider that stays safe across VM snapshots by reseeding
 * whenever the kernel's epoch page changes.
 */
module dev.reseeddrbg.provider {
    requires dev.reseeddrbg.page;
    requires org.bouncycastle.provider;
    requires java.management;
    requires jdk.jfr;
    // Optional at run time: without the org.crac jar there are simply no checkpoint hooks.
    requires static org.crac;

    exports dev.reseeddrbg.provider;
    exports dev.reseeddrbg.provider.spi;

    uses dev.reseeddrbg.provider.spi.EntropySource;
    provides java.security.Provider with dev.reseeddrbg.provider.ReseedProvider;
}
