// The kernel's vDSO getrandom (Linux 6.11+) as a peer of the JMH benchmarks: times calls of
// each requested size on one opaque state, the way a C program that links a libc with
// vDSO getrandom support would draw. __vdso_getrandom is found through the vDSO's own ELF
// dynamic symbol table, located by getauxval(AT_SYSINFO_EHDR), as the kernel's
// tools/testing/selftests/vDSO programs find it.
//
// Usage: vdso_getrandom_bench ROUNDS MILLIS SIZE...
// Prints one line per round and size: "vdso-getrandom<TAB>SIZE<TAB>ROUND<TAB>NS_PER_CALL".
// Exit status 3: this kernel has no vDSO getrandom (the caller reports it as absent).
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

// The kernel's struct vgetrandom_opaque_params (include/uapi/linux/random.h); older system
// headers lack it.
struct opaque_params {
	uint32_t size_of_opaque_state;
	uint32_t mmap_prot;
	uint32_t mmap_flags;
	uint32_t reserved[13];
};

typedef ssize_t (*vgetrandom_fn)(void *buf, size_t len, unsigned int flags, void *state, size_t state_len);

// Looks up a defined function symbol by name in the vDSO mapped at base. The vDSO is a
// prelinked shared object: its dynamic section's addresses are relative to the first
// PT_LOAD's p_vaddr, so the load offset is base + p_offset - p_vaddr of that segment.
static void *vdso_lookup(uintptr_t base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t load = 0;
	const Elf64_Dyn *dyn = NULL;
	int have_load = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return NULL;
	const Elf64_Sym *symtab = NULL;
	const char *strtab = NULL;
	const Elf64_Word *hash = NULL;
	const Elf32_Word *gnu_hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = load + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const Elf64_Sym *)p; break;
		case DT_STRTAB: strtab = (const char *)p; break;
		case DT_HASH: hash = (const Elf64_Word *)p; break;
		case DT_GNU_HASH: gnu_hash = (const Elf32_Word *)p; break;
		}
	}
	if (!symtab || !strtab || (!hash && !gnu_hash))
		return NULL;
	// The number of symbols: nchain of DT_HASH, or past the last chain of DT_GNU_HASH.
	size_t count;
	if (hash) {
		count = hash[1];
	} else {
		uint32_t nbuckets = gnu_hash[0], symoffset = gnu_hash[1], bloom_size = gnu_hash[2];
		const uint32_t *buckets = gnu_hash + 4 + bloom_size * 2; // 64-bit bloom words
		const uint32_t *chains = buckets + nbuckets;
		uint32_t last = 0;
		for (uint32_t b = 0; b < nbuckets; b++)
			if (buckets[b] > last)
				last = buckets[b];
		if (last < symoffset)
			return NULL;
		while (!(chains[last - symoffset] & 1))
			last++;
		count = last + 1;
	}
	for (size_t i = 0; i < count; i++) {
		const Elf64_Sym *s = &symtab[i];
		if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx != SHN_UNDEF
		    && strcmp(strtab + s->st_name, name) == 0)
			return (void *)(load + s->st_value);
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s ROUNDS MILLIS SIZE...\n", argv[0]);
		return 2;
	}
	int rounds = atoi(argv[1]);
	double millis = atof(argv[2]);
	if (rounds < 1 || millis <= 0) {
		fprintf(stderr, "ROUNDS must be at least 1 and MILLIS above 0, not '%s' '%s'\n", argv[1], argv[2]);
		return 2;
	}
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	vgetrandom_fn fn = base ? (vgetrandom_fn)vdso_lookup(base, "__vdso_getrandom") : NULL;
	struct opaque_params params;
	// Called with state_len ~0 and no buffer, the function fills in the state's parameters.
	if (!fn || fn(NULL, 0, 0, &params, ~0UL) != 0) {
		fprintf(stderr, "this kernel has no vDSO getrandom (Linux 6.11 or later on x86-64 has it)\n");
		return 3;
	}
	long page = sysconf(_SC_PAGESIZE);
	size_t state_size = (params.size_of_opaque_state + page - 1) & ~(page - 1);
	void *state = mmap(NULL, state_size, params.mmap_prot, params.mmap_flags, -1, 0);
	if (state == MAP_FAILED) {
		fprintf(stderr, "mmap of the opaque state failed: %s\n", strerror(errno));
		return 1;
	}
	size_t max = 0;
	for (int a = 3; a < argc; a++) {
		long n = atol(argv[a]);
		if (n <= 0 || n > (1 << 20)) {
			fprintf(stderr, "SIZE must be 1 to 1048576, not '%s'\n", argv[a]);
			return 2;
		}
		if ((size_t)n > max)
			max = n;
	}
	unsigned char *buf = malloc(max);
	volatile unsigned char sink = 0;
	// Rounds interleave the sizes, so slow phases of a noisy machine hit each size alike.
	// The first round warms up and is not printed.
	for (int r = 0; r <= rounds; r++) {
		for (int a = 3; a < argc; a++) {
			size_t n = atol(argv[a]);
			long calls = 0;
			double start = now_ns(), end;
			do {
				for (int i = 0; i < 1000; i++) {
					if (fn(buf, n, 0, state, params.size_of_opaque_state) != (ssize_t)n) {
						fprintf(stderr, "vDSO getrandom returned short\n");
						return 1;
					}
					sink ^= buf[0];
				}
				calls += 1000;
				end = now_ns();
			} while (end - start < millis * 1e6);
			if (r > 0)
				printf("vdso-getrandom\t%zu\t%d\t%.2f\n", n, r, (end - start) / calls);
		}
	}
	(void)sink;
	return 0;
}
