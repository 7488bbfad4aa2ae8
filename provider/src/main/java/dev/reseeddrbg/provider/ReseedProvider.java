package dev.reseeddrbg.provider;

import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.provider.engine.ReseedDrbgSpi;
import java.io.Serial;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandomParameters;
import java.security.Security;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ReseedDRBG provider: one service, {@code SecureRandom.ReseedDRBG}, a SP 800-90A
 * DRBG that reseeds from the kernel whenever the epoch page says a reseed is due.
 *
 * <p>Install it with {@code security.provider.1=ReseedDRBG} (conf/reseed-drbg.security),
 * {@code Security.insertProviderAt(new ReseedProvider(), 1)}, or {@link #install()}.
 */
public final class ReseedProvider extends Provider {
    @Serial
    private static final long serialVersionUID = 1L;

    public static final String NAME = "ReseedDRBG";
    public static final String ALGORITHM = "ReseedDRBG";

    public ReseedProvider() {
        super(NAME, "0.1", "ReseedDRBG: SP 800-90A DRBG (Bouncy Castle mechanisms) that reseeds on "
                + "kernel reseed notifications (VM snapshot/restore, timer)");
        putService(new ReseedService(this));
    }

    /**
     * Puts ReseedDRBG first among the installed providers (unless it is already
     * installed), so that {@code new SecureRandom()} uses it. Returns its position.
     */
    public static int install() {
        int position = Security.insertProviderAt(new ReseedProvider(), 1);
        return position == -1 ? java.util.Arrays.asList(Security.getProviders()).indexOf(Security.getProvider(NAME)) + 1
                : position;
    }

    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private static void warnOnce(String message) {
        if (WARNED.add(message)) {
            System.getLogger("dev.reseeddrbg").log(System.Logger.Level.WARNING, message);
        }
    }

    /**
     * Creates the engine directly instead of by reflection, so the engine's package need
     * not be exported, and a problem with the page reaches the caller with its message.
     */
    private static final class ReseedService extends Provider.Service {
        ReseedService(Provider provider) {
            super(provider, "SecureRandom", ALGORITHM, ReseedDrbgSpi.class.getName(), null,
                    Map.of("ThreadSafe", "true", "ImplementedIn", "Software"));
        }

        @Override
        public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
            if (constructorParameter != null && !(constructorParameter instanceof SecureRandomParameters)) {
                throw new java.security.InvalidParameterException("ReseedDRBG takes SecureRandomParameters, not "
                        + constructorParameter.getClass().getName());
            }
            // As the JDK's own services do, a failure becomes NoSuchAlgorithmException, so
            // that SecureRandom.getInstance moves on to the next provider; the cause keeps
            // the message that names the problem. A bad configuration property is the
            // exception: it reaches the caller as ConfigurationException.
            //
            // A strict failure the operator asked for (reseeddrbg.onMissingPage=fail with no
            // usable page, a bad property) is also logged at WARNING, once per message: the
            // JCA may swallow the NoSuchAlgorithmException (getInstanceStrong() moves on to
            // the next of securerandom.strongAlgorithms), and the caller may swallow the
            // ConfigurationException; the log line is what still reaches the operator.
            try {
                return new ReseedDrbgSpi((SecureRandomParameters) constructorParameter);
            } catch (ConfigurationException misconfigured) {
                warnOnce("ReseedDRBG is misconfigured, getInstance throws: " + misconfigured.getMessage());
                throw misconfigured; // loud: never silently skipped to another provider
            } catch (IllegalArgumentException unsupported) {
                // The caller's own parameters (a strength this configuration cannot give):
                // refusing them so that the JCA moves on is what SecureRandomSpi asks.
                throw (NoSuchAlgorithmException) new NoSuchAlgorithmException(
                        "ReseedDRBG cannot be instantiated: " + unsupported.getMessage()).initCause(unsupported);
            } catch (java.io.IOException | RuntimeException e) {
                String why = (e instanceof InvalidPageException ? "reseeddrbg.onMissingPage=fail and " : "")
                        + e.getMessage();
                warnOnce("ReseedDRBG cannot be instantiated (" + why + "); a caller that did not name the "
                        + "provider, such as SecureRandom.getInstanceStrong(), gets the next provider's SecureRandom, "
                        + "which does not reseed on VM snapshot notifications");
                throw (NoSuchAlgorithmException) new NoSuchAlgorithmException(
                        "ReseedDRBG cannot be instantiated: " + why).initCause(e);
            }
        }
    }

    /**
     * The kernel's entropy source ({@code getrandom(2)}, or /dev/urandom without native
     * access), the default {@code reseeddrbg.entropySource}: for custom sources that add
     * to the kernel rather than replace it.
     */
    public static dev.reseeddrbg.provider.spi.EntropySource kernelEntropySource() {
        return dev.reseeddrbg.provider.entropy.KernelEntropy.instance();
    }
}
