package dev.reseeddrbg.provider.childjvm;

import dev.reseeddrbg.provider.ReseedDrbgMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.UUID;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Runs in a child JVM started by the registration tests and prints {@code key=value}
 * lines: which SecureRandom the JVM picked, and how many ReseedDRBG states JDK code
 * instantiated while it used the default SecureRandom. It must not name ReseedProvider
 * unless told to install it, so that the JVM's own configuration is what is tested.
 *
 * <p>Arguments: {@code none|install|add} and, optionally, a PKCS#12 keystore for the TLS step.
 */
public final class RegistrationProbe {
    private RegistrationProbe() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "install" -> Class.forName("dev.reseeddrbg.provider.ReseedProvider").getMethod("install").invoke(null);
            case "add" -> Security.addProvider((Provider) Class.forName("dev.reseeddrbg.provider.ReseedProvider")
                    .getConstructor().newInstance());
            default -> {
                // configuration only
            }
        }
        Provider[] providers = Security.getProviders();
        System.out.println("providers=" + String.join(",", Arrays.stream(providers).map(Provider::getName).toList()));
        System.out.println("default=" + new SecureRandom().getAlgorithm());
        System.out.println("strong=" + SecureRandom.getInstanceStrong().getAlgorithm());
        SecureRandom named = SecureRandom.getInstance("ReseedDRBG");
        named.nextBytes(new byte[8]);
        System.out.println("named=" + named.getProvider().getName());
        System.out.println("module=" + named.getProvider().getClass().getModule().getName());
        System.out.println("entropy=" + ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName(ReseedDrbgMXBean.OBJECT_NAME), "EntropySource"));
        System.out.println("instantiated.start=" + instantiated());
        UUID.randomUUID();
        System.out.println("instantiated.uuid=" + instantiated());
        KeyPairGenerator.getInstance("EC").generateKeyPair();
        System.out.println("instantiated.keypair=" + instantiated());
        if (args.length > 1) {
            handshake(Path.of(args[1]));
            System.out.println("instantiated.tls=" + instantiated());
        }
    }

    /** ReseedDRBG states instantiated so far, from the MBean; -1 if it is not registered. */
    static long instantiated() throws Exception {
        ObjectName name = new ObjectName(ReseedDrbgMXBean.OBJECT_NAME);
        if (!ManagementFactory.getPlatformMBeanServer().isRegistered(name)) {
            return -1;
        }
        TabularData table = (TabularData) ManagementFactory.getPlatformMBeanServer().getAttribute(name, "ReseedsByCause");
        for (Object row : table.values()) {
            CompositeData entry = (CompositeData) row;
            if (entry.get("key").equals("instantiate")) {
                return (Long) entry.get("value");
            }
        }
        return -1;
    }

    /** A TLS 1.3 handshake between two in-memory SSLEngines, neither given a SecureRandom. */
    static void handshake(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, "changeit".toCharArray());
        SSLContext server = SSLContext.getInstance("TLSv1.3");
        server.init(kmf.getKeyManagers(), null, null);
        SSLContext client = SSLContext.getInstance("TLSv1.3");
        client.init(null, new TrustManager[] {new TrustingManager()}, null);
        SSLEngine c = client.createSSLEngine("localhost", 443);
        c.setUseClientMode(true);
        SSLEngine s = server.createSSLEngine();
        s.setUseClientMode(false);
        int packet = Math.max(c.getSession().getPacketBufferSize(), s.getSession().getPacketBufferSize());
        int app = Math.max(c.getSession().getApplicationBufferSize(), s.getSession().getApplicationBufferSize());
        ByteBuffer cToS = ByteBuffer.allocate(packet * 4);
        ByteBuffer sToC = ByteBuffer.allocate(packet * 4);
        ByteBuffer cApp = ByteBuffer.allocate(app);
        ByteBuffer sApp = ByteBuffer.allocate(app);
        ByteBuffer empty = ByteBuffer.allocate(0);
        c.beginHandshake();
        s.beginHandshake();
        for (int i = 0; i < 200 && !(done(c) && done(s)); i++) {
            c.wrap(empty, cToS);
            tasks(c);
            s.wrap(empty, sToC);
            tasks(s);
            cToS.flip();
            s.unwrap(cToS, sApp);
            cToS.compact();
            tasks(s);
            sToC.flip();
            c.unwrap(sToC, cApp);
            sToC.compact();
            tasks(c);
        }
        if (!(done(c) && done(s))) {
            throw new IllegalStateException("TLS handshake did not finish: " + c.getHandshakeStatus() + " "
                    + s.getHandshakeStatus());
        }
        System.out.println("tls=" + c.getSession().getProtocol() + " " + c.getSession().getCipherSuite());
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h == HandshakeStatus.NOT_HANDSHAKING || h == HandshakeStatus.FINISHED;
    }

    private static void tasks(SSLEngine e) {
        for (Runnable task; (task = e.getDelegatedTask()) != null; ) {
            task.run();
        }
    }

    /** Trusts the test's self-signed server certificate; this probe tests randomness, not PKIX. */
    private static final class TrustingManager implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

}
