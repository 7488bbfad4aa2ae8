package dev.reseeddrbg.provider.entropy;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The x86-64 machine code behind {@link CpuRandom}: CPUID, RDRAND and RDSEED, each a few
 * bytes of code called through an FFM downcall. Java has no intrinsic for these
 * instructions and libc exports no function that runs them, so the code is written here.
 *
 * <p>The bytes go into one anonymous page from {@code mmap(2)}, mapped read+write, which
 * {@code mprotect(2)} then turns read+execute before anything is called: the page is never
 * writable and executable at once. That keeps the provider a plain jar, with no compiler
 * at build time, no per-platform shared library and no {@code .so} extracted to disk at
 * run time. A kernel policy that forbids making anonymous memory executable (SELinux
 * {@code execmem}, PaX MPROTECT) makes {@code mprotect} fail: that is reported as the
 * reason, never worked around.
 *
 * <p>Invariant: RDRAND or RDSEED runs only after CPUID says the CPU has it; executing
 * either on a CPU without it raises #UD, which would kill the JVM. {@link #rdrand()} and
 * {@link #rdseed()} return null rather than a callable step on such a CPU. The page is
 * never unmapped, so a linked downcall can never jump into unmapped memory.
 *
 * <p>The bytes were checked by assembling the same instructions with GNU {@code as --64}
 * and reading them back with {@code objdump -d}.
 */
final class X86RngStubs {
    /** void cpuid(int leaf, int subleaf, int regs[4]): EAX, EBX, ECX, EDX into regs. */
    private static final byte[] CPUID = {
            0x53,                                   // push %rbx          (rbx is callee-saved; CPUID writes it)
            (byte) 0x89, (byte) 0xf8,               // mov  %edi,%eax     (leaf)
            (byte) 0x89, (byte) 0xf1,               // mov  %esi,%ecx     (subleaf)
            0x49, (byte) 0x89, (byte) 0xd0,         // mov  %rdx,%r8      (regs; CPUID overwrites edx)
            0x0f, (byte) 0xa2,                      // cpuid
            0x41, (byte) 0x89, 0x00,                // mov  %eax,(%r8)
            0x41, (byte) 0x89, 0x58, 0x04,          // mov  %ebx,0x4(%r8)
            0x41, (byte) 0x89, 0x48, 0x08,          // mov  %ecx,0x8(%r8)
            0x41, (byte) 0x89, 0x50, 0x0c,          // mov  %edx,0xc(%r8)
            0x5b,                                   // pop  %rbx
            (byte) 0xc3,                            // ret
    };
    /** int rdrand(long *word): 1 with the word stored when the carry flag is set, else 0. */
    private static final byte[] RDRAND = {
            0x48, 0x0f, (byte) 0xc7, (byte) 0xf2,   // rdrand %rdx
            0x0f, (byte) 0x92, (byte) 0xc0,         // setc   %al         (carry: a valid word)
            0x0f, (byte) 0xb6, (byte) 0xc0,         // movzbl %al,%eax
            0x48, (byte) 0x89, 0x17,                // mov    %rdx,(%rdi)
            (byte) 0xc3,                            // ret
    };
    /** int rdseed(long *word): as {@link #RDRAND}, with rdseed %rdx. */
    private static final byte[] RDSEED = {
            0x48, 0x0f, (byte) 0xc7, (byte) 0xfa,   // rdseed %rdx
            0x0f, (byte) 0x92, (byte) 0xc0,         // setc   %al
            0x0f, (byte) 0xb6, (byte) 0xc0,         // movzbl %al,%eax
            0x48, (byte) 0x89, 0x17,                // mov    %rdx,(%rdi)
            (byte) 0xc3,                            // ret
    };
    private static final long CPUID_AT = 0;
    private static final long RDRAND_AT = 64;
    private static final long RDSEED_AT = 128;
    private static final long PAGE = 4096;

    /** Linux x86-64 values of the mmap(2) and mprotect(2) flags. */
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int PROT_EXEC = 4;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final FunctionDescriptor WORD_STEP = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);

    private final MemorySegment code;
    private final boolean hasRdrand;
    private final boolean hasRdseed;

    private X86RngStubs(MemorySegment code, boolean hasRdrand, boolean hasRdseed) {
        this.code = code;
        this.hasRdrand = hasRdrand;
        this.hasRdseed = hasRdseed;
    }

    /**
     * Maps the code and asks CPUID which instructions the CPU has. The caller has checked
     * that this is Linux on x86-64 with native access enabled; throws
     * {@link IllegalStateException} naming what failed when the code cannot be mapped.
     */
    static X86RngStubs map() {
        MemorySegment code = mapExecutable();
        MethodHandle cpuid = Linker.nativeLinker().downcallHandle(code.asSlice(CPUID_AT),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(ValueLayout.JAVA_INT, 4);
            cpuid.invokeExact(0, 0, regs);
            int maxLeaf = regs.getAtIndex(ValueLayout.JAVA_INT, 0);
            cpuid.invokeExact(1, 0, regs);
            boolean rdrand = (regs.getAtIndex(ValueLayout.JAVA_INT, 2) & (1 << 30)) != 0; // leaf 1 ECX bit 30
            boolean rdseed = false;
            if (maxLeaf >= 7) {
                cpuid.invokeExact(7, 0, regs);
                rdseed = (regs.getAtIndex(ValueLayout.JAVA_INT, 1) & (1 << 18)) != 0; // leaf 7.0 EBX bit 18
            }
            return new X86RngStubs(code, rdrand, rdseed);
        } catch (Throwable t) {
            throw new IllegalStateException("the CPUID downcall failed: " + t, t);
        }
    }

    /** RDRAND as a step, or null when CPUID says the CPU lacks it. */
    CpuRandom.Step rdrand() {
        return hasRdrand ? step(RDRAND_AT) : null;
    }

    /** RDSEED as a step, or null when CPUID says the CPU lacks it. */
    CpuRandom.Step rdseed() {
        return hasRdseed ? step(RDSEED_AT) : null;
    }

    private CpuRandom.Step step(long offset) {
        // Critical: the stub is a handful of instructions that never block or call back, so
        // the thread-state transition of an ordinary downcall is skipped.
        MethodHandle handle = Linker.nativeLinker().downcallHandle(code.asSlice(offset), WORD_STEP,
                Linker.Option.critical(false));
        // One native word per step, used only under CpuRandom's lock, zeroed after each read.
        MemorySegment word = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
        return out -> {
            try {
                boolean carry = (int) handle.invokeExact(word) != 0;
                out[0] = word.get(ValueLayout.JAVA_LONG, 0);
                word.set(ValueLayout.JAVA_LONG, 0, 0L);
                return carry;
            } catch (Throwable t) {
                throw new IllegalStateException("the downcall failed: " + t, t);
            }
        };
    }

    /** One page holding the three stubs, read+execute; never unmapped. */
    private static MemorySegment mapExecutable() {
        Linker linker = Linker.nativeLinker();
        MethodHandle mmap = libc(linker, "mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG));
        MethodHandle mprotect = libc(linker, "mprotect", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment at = (MemorySegment) mmap.invokeExact(state, MemorySegment.NULL, PAGE,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (at.address() == -1L) {
                throw new IllegalStateException("mmap(2) of one page failed with errno "
                        + KernelEntropy.errno(state));
            }
            MemorySegment page = at.reinterpret(PAGE);
            page.asSlice(CPUID_AT).copyFrom(MemorySegment.ofArray(CPUID));
            page.asSlice(RDRAND_AT).copyFrom(MemorySegment.ofArray(RDRAND));
            page.asSlice(RDSEED_AT).copyFrom(MemorySegment.ofArray(RDSEED));
            if ((int) mprotect.invokeExact(state, page, PAGE, PROT_READ | PROT_EXEC) != 0) {
                throw new IllegalStateException("mprotect(2) to read+execute failed with errno "
                        + KernelEntropy.errno(state)
                        + " (a policy such as SELinux execmem forbids executable anonymous memory)");
            }
            return page;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mapping the instruction stub failed: " + t, t);
        }
    }

    private static MethodHandle libc(Linker linker, String name, FunctionDescriptor descriptor) {
        return linker.defaultLookup().find(name)
                .map(symbol -> linker.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno")))
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
    }
}
