package dev.reseeddrbg.provider.testing;

import dev.reseeddrbg.provider.ReseedDrbgMXBean;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/** Reads the provider's MBean through the platform MBean server, as JConsole would. */
public final class ProviderCounters {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private ProviderCounters() {
    }

    public static Object attribute(String name) {
        try {
            return SERVER.getAttribute(new ObjectName(ReseedDrbgMXBean.OBJECT_NAME), name);
        } catch (JMException e) {
            throw new AssertionError("MBean attribute " + name + " unreadable", e);
        }
    }

    /** Reseeds caused by a page change, all instances together. */
    public static long reseeds() {
        return (Long) attribute("Reseeds");
    }

    public static long discarded() {
        return (Long) attribute("DiscardedOutputs");
    }

    /** Reseeds of one cause label. */
    public static long reseeds(String cause) {
        TabularData table = (TabularData) attribute("ReseedsByCause");
        for (Object row : table.values()) {
            CompositeData entry = (CompositeData) row;
            if (entry.get("key").equals(cause)) {
                return (Long) entry.get("value");
            }
        }
        throw new AssertionError("no cause " + cause + " in " + table);
    }
}
