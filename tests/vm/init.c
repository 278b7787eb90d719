// SPDX-License-Identifier: MIT
/*
 * PID 1 of the qemu test VM: mount what the tests need, run one test script
 * with bash, check the kernel log and the taint flags, print the verdict
 * line with the nonce the host gave on the kernel command line, power off.
 *
 * Kernel command line: fp.test=NAME fp.nonce=WORD [fp.timeout=SECONDS]
 * [fp.kmemleak=1] (the debug kernel: kmemleak must be there and running)
 * Verdict: "flowplan-vm: NONCE NAME pass|fail|skip [why]". The host counts
 * a test as passed only when it sees "pass" with its nonce; a panic, a hang
 * or a test that prints a forged line cannot produce it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define __noreturn	__attribute__((noreturn))

#define TEST_DIR	"/tests"
#define SKIP_RC		77

static char test[128] = "none";
static char nonce[64] = "none";
static unsigned int timeout_s = 600;
static bool need_kmemleak;

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("flowplan-vm: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void __noreturn power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* No ACPI to power off with: qemu runs with -no-reboot. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void verdict(const char *what, const char *why)
{
	say("%s %s %s%s%s", nonce, test, what, why ? " " : "", why ? why : "");
}

static void __noreturn panic_out(const char *what)
{
	say("init: %s: %s", what, strerror(errno));
	verdict("fail", "init could not set up the VM");
	power_off();
}

static void do_mount(const char *src, const char *dst, const char *type)
{
	if (mkdir(dst, 0755) && errno != EEXIST)
		panic_out(dst);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		panic_out(dst);
}

/* Returns 0, or -1 (errno set) when @path cannot be opened or written. */
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0) {
		say("init: cannot write %s to %s: %s", val, path,
		    strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

static void copy_param(const char *cmdline, const char *key, char *dst,
		       size_t len)
{
	const char *p = strstr(cmdline, key);
	size_t n;

	if (!p)
		return;
	p += strlen(key);
	n = strcspn(p, "\n ");
	if (n >= len)
		n = len - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void read_cmdline(void)
{
	char buf[4096] = "", t[16] = "", k[4] = "";
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		panic_out("/proc/cmdline");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		panic_out("/proc/cmdline");
	buf[n] = '\0';
	copy_param(buf, "fp.test=", test, sizeof(test));
	copy_param(buf, "fp.nonce=", nonce, sizeof(nonce));
	copy_param(buf, "fp.timeout=", t, sizeof(t));
	if (t[0])
		timeout_s = strtoul(t, NULL, 10);
	copy_param(buf, "fp.kmemleak=", k, sizeof(k));
	need_kmemleak = !strcmp(k, "1");
}

static void setup(void)
{
	do_mount("proc", "/proc", "proc");
	do_mount("sysfs", "/sys", "sysfs");
	do_mount("devtmpfs", "/dev", "devtmpfs");
	do_mount("tmpfs", "/tmp", "tmpfs");
	do_mount("tmpfs", "/run", "tmpfs");
	do_mount("debugfs", "/sys/kernel/debug", "debugfs");
	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		panic_out("/run/netns");
	if (mkdir("/dev/pts", 0755) && errno != EEXIST)
		panic_out("/dev/pts");
	do_mount("devpts", "/dev/pts", "devpts");
	if (symlink("/proc/self/fd", "/dev/fd") && errno != EEXIST)
		panic_out("/dev/fd");
	chmod("/tmp", 01777);
	write_file("/proc/sys/kernel/printk", "4 4 1 7");
	write_file("/proc/sys/kernel/panic_on_oops", "1");
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "dumb", 1);
	setenv("FP_TEST", test, 1);
}

/*
 * SIGALRM only interrupts run_test's wait(), which then looks at the clock;
 * again every second, in case one came between two wait()s.
 */
static void on_alarm(int sig)
{
	(void)sig;
	alarm(1);
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Prints a file's lines with a prefix; nothing when it cannot be read. */
static void print_file(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* A task's open files ("fd 3 -> pipe:[123]"): who holds a pipe's ends. */
static void print_fds(const char *pid)
{
	char path[300], target[256];
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		n = readlinkat(dirfd(dir), d->d_name, target,
			       sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		printf("  fd %s -> %s\n", d->d_name, target);
	}
	closedir(dir);
}

/*
 * A test that timed out: where every task is (its name, state, kernel stack
 * and open files), so that a hang in the kernel can be told from a slow
 * test, and a pipe's reader from the task that keeps it waiting.
 */
static void dump_tasks(void)
{
	char path[300], comm[64] = "";
	struct dirent *d;
	DIR *dir = opendir("/proc");
	FILE *f;

	if (!dir)
		return;
	say("---- tasks at the time-out ----");
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "r");
		if (!f) {
			printf("task %s (no status: %s)\n", d->d_name,
			       strerror(errno));
			continue;
		}
		comm[0] = '\0';
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		printf("task %s %s\n", d->d_name, comm);
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		print_file(path, "  stat: ");
		snprintf(path, sizeof(path), "/proc/%s/stack", d->d_name);
		print_file(path, "  ");
		print_fds(d->d_name);
	}
	closedir(dir);
	say("---- end of tasks ----");
	fflush(stdout);
}

/* Runs the test in its own session; returns its exit status, -1 on timeout. */
static int run_test(void)
{
	char path[256];
	int status = 0;
	bool killed = false;
	time_t deadline;
	pid_t p, child;

	snprintf(path, sizeof(path), TEST_DIR "/%s.sh", test);
	if (access(path, R_OK)) {
		say("no test script %s", path);
		return 1;
	}
	child = fork();
	if (child < 0)
		panic_out("fork");
	if (child == 0) {
		setsid();
		if (chdir("/tmp"))
			_exit(126);
		execl("/bin/bash", "bash", path, (char *)NULL);
		_exit(127);
	}
	/* No SA_RESTART: the alarm interrupts wait(). */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm },
		  NULL);
	deadline = now_s() + timeout_s;
	alarm(timeout_s);
	/*
	 * PID 1 reaps every orphan; the verdict is the test script's status.
	 * At the time-out: where every task is, then the test is killed.
	 */
	for (;;) {
		p = wait(&status);
		if (p < 0 && errno == EINTR) {
			if (!killed && now_s() >= deadline) {
				dump_tasks();
				kill(-child, SIGKILL);
				killed = true;
			}
			continue;
		}
		if (p < 0 || p == child)
			break;
	}
	alarm(0);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Lines that mean the kernel is unhappy, whatever the test thought. */
static const char *const bad_words[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "refcount_t",
	"general protection", "Call Trace", "list_add corruption",
	"list_del corruption", "soft lockup", "hard LOCKUP",
	"blocked for more than", "kernel BUG", "stack-protector",
	"Unable to handle", "double fault", NULL,
};

/*
 * "traps: PROG[PID] general protection fault ip:... in LIB" is the kernel
 * reporting a user program's fault (show_signal() in x86's traps.c): the
 * test fails by that program's status, the kernel is fine. The kernel's own
 * messages from traps.c ("traps: PANIC: double fault", "traps: Missing
 * ENDBR") have no "PROG[PID]" and still count.
 */
static bool user_fault(const char *line)
{
	const char *p = strstr(line, "traps: ");
	const char *sp, *br;

	if (!p)
		return false;
	p += strlen("traps: ");
	sp = strchr(p, ' ');
	if (!sp || sp - p < 4 || sp[-1] != ']')
		return false;
	br = memchr(p, '[', sp - p);
	if (!br || br == p || br + 2 > sp - 1)
		return false;
	for (br++; br < sp - 1; br++)
		if (!isdigit((unsigned char)*br))
			return false;
	return true;
}

/* TAINT_BAD_PAGE, TAINT_DIE, TAINT_WARN, TAINT_SOFTLOCKUP */
#define BAD_TAINT ((1UL << 5) | (1UL << 7) | (1UL << 9) | (1UL << 14))

static int check_kernel(void)
{
	int n, bad = 0, len = klogctl(10, NULL, 0);
	unsigned long taint = 0;
	char *buf, *line, *save;
	FILE *f;

	if (len < 4096)
		len = 1 << 20;
	buf = calloc(1, len + 1);
	if (!buf)
		return 1;
	n = klogctl(3, buf, len);
	if (n < 0) {
		say("init: cannot read the kernel log: %s", strerror(errno));
		free(buf);
		return 1;
	}
	buf[n] = '\0';
	say("---- kernel log ----");
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *const *w;

		printf("dmesg: %s\n", line);
		if (user_fault(line))
			continue;
		for (w = bad_words; *w; w++)
			if (strstr(line, *w)) {
				bad++;
				break;
			}
	}
	free(buf);
	f = fopen("/proc/sys/kernel/tainted", "r");
	if (f) {
		if (fscanf(f, "%lu", &taint) != 1)
			taint = 0;
		fclose(f);
	}
	say("---- end of kernel log: %d bad line(s), taint %lu ----", bad,
	    taint);
	if (taint & BAD_TAINT)
		bad++;
	return bad;
}

/*
 * Debug kernels (kmemleak built in): what was unreferenced at boot is set
 * aside before the test; after it, scans must find nothing new. Objects
 * younger than kmemleak's 5 s are not reported: wait them out. Nor is an
 * object the first scan finds changed since the one before (its checksum:
 * it may still be being filled in), and every object made during the test
 * has changed since the scan before it: so two scans, at both ends. With
 * fp.kmemleak=1 a kmemleak that is missing or has turned itself off (it
 * refuses "scan" then) fails the test rather than pass it unscanned.
 */
#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static bool kmemleak_off;

static void kmemleak_begin(void)
{
	if (access(KMEMLEAK, W_OK)) {
		kmemleak_off = need_kmemleak;
		return;
	}
	/*
	 * init's own scans are the ones that count: kmemleak's thread, which
	 * would scan all memory every 10 minutes (a minute of CPU on a
	 * loaded host) in the middle of a test, is stopped.
	 */
	if (write_file(KMEMLEAK, "scan") || write_file(KMEMLEAK, "scan") ||
	    write_file(KMEMLEAK, "clear") || write_file(KMEMLEAK, "scan=off"))
		kmemleak_off = need_kmemleak;
}

static int kmemleak_end(void)
{
	char line[512];
	int leaks = 0;
	FILE *f;

	if (kmemleak_off || access(KMEMLEAK, W_OK))
		return 0;
	sleep(6);
	if (write_file(KMEMLEAK, "scan") || write_file(KMEMLEAK, "scan")) {
		kmemleak_off = need_kmemleak;
		return 0;
	}
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return 0;
	say("---- kmemleak ----");
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		if (strstr(line, "unreferenced object"))
			leaks++;
	}
	fclose(f);
	say("---- kmemleak: %d leak(s) ----", leaks);
	return leaks;
}

/*
 * The test's first failure, as common.sh's fail() and ERR trap kept it, after
 * ": "; empty if there is none. A longer one ends in "..." where it was cut.
 */
static void first_failure(char *buf, size_t size)
{
	FILE *f = fopen("/tmp/.flowplan-fail", "r");
	size_t n;

	buf[0] = 0;
	if (!f)
		return;
	memcpy(buf, ": ", 3);
	if (!fgets(buf + 2, size - 2, f))
		buf[0] = 0;
	fclose(f);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	else if (n == size - 1)
		memcpy(buf + size - 4, "...", 4);
}

int main(void)
{
	char why[512], first[400];
	int rc, bad, leaks;

	setup();
	read_cmdline();
	kmemleak_begin();
	/*
	 * When the test starts, on the guest's clock (the tests' log lines
	 * carry the same): the debug kernel's boot and kmemleak's scans
	 * before it take minutes on a loaded host.
	 */
	say("init: running %s (timeout %us) at %lds", test, timeout_s,
	    (long)now_s());
	rc = run_test();
	/*
	 * A test that timed out has failed: the kernel log (an RCU stall's
	 * trace, say) comes first and kmemleak's scans are skipped, which on
	 * the debug kernel under a loaded host take longer than qemu is given
	 * after the time-out (run.sh), and the log was lost with them.
	 */
	leaks = rc == -1 ? 0 : kmemleak_end();
	bad = check_kernel();
	first_failure(first, sizeof(first));
	if (rc == -1) {
		snprintf(why, sizeof(why), "timed out after %us%s", timeout_s,
			 first);
		verdict("fail", why);
	} else if (bad) {
		verdict("fail", "the kernel log has warnings or oopses (above)");
	} else if (kmemleak_off) {
		verdict("fail", "kmemleak is not running (missing or turned off)");
	} else if (leaks) {
		snprintf(why, sizeof(why), "kmemleak found %d leak(s) (above)",
			 leaks);
		verdict("fail", why);
	} else if (rc == SKIP_RC) {
		verdict("skip", NULL);
	} else if (rc) {
		snprintf(why, sizeof(why), "exit status %d%s", rc, first);
		verdict("fail", why);
	} else {
		verdict("pass", NULL);
	}
	power_off();
}
