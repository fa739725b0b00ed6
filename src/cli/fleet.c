/* SPDX-License-Identifier: MIT */
/*
 * fleet.c - `upgrade run --targets FILE`: one run over many databases.
 *
 * FILE names the targets, one a line: a name, then the options that say
 * where it is and what to upgrade there (upgrade(1), TARGETS FILES;
 * fleet-targets.c reads it).  Every target is upgraded by an `upgrade run`
 * of its own, in a child process with the run's other options: a target's
 * driver, its memory and its output are its own, a driver that crashes
 * takes one target down and not the fleet, and the run of one target is
 * exactly the run a user would start by hand, with a connection string in
 * UPGRADE_CONNECT rather than on its command line (every user sees those).
 * Up to -j targets run at once; their standard error is passed on as it
 * comes, each line naming its target; standard output is passed on as it
 * comes with --format json (every object gets "target"), and as one block
 * per target, when it ends, in text.  The exit status sums up the
 * targets'.  A fleet told to stop (SIGHUP, SIGINT, SIGTERM) passes it on
 * to the runs under way and ends after them, by the same signal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet.h"

extern char **environ;

/* Writes all of buf, or as much as the reader takes. */
static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/*
 * One line of a target's standard error, naming the target after the
 * command's name, so that "upgrade: error: X" becomes "upgrade: error:
 * NAME: X" and the line keeps the documented form.
 */
static void
pass_err_line(const struct cli *cli, const struct target *t, const char *line, size_t len)
{
	size_t plen = strlen(cli->progname);
	char *buf = malloc(len + strlen(t->name) + 4);
	size_t n = 0, head = 0;

	if (buf == NULL)
		return;
	if (len > plen + 2 && strncmp(line, cli->progname, plen) == 0 && line[plen] == ':' &&
	    line[plen + 1] == ' ') {
		head = plen + 2;
		if (len >= head + 7 && strncmp(line + head, "error: ", 7) == 0)
			head += 7;
		else if (len >= head + 9 && strncmp(line + head, "warning: ", 9) == 0)
			head += 9;
	}
	if (head > 0) {
		memcpy(buf, line, head);
		n = head;
		n += (size_t)sprintf(buf + n, "%s: ", t->name);
	}
	memcpy(buf + n, line + head, len - head);
	n += len - head;
	buf[n++] = '\n';
	fflush(stderr);
	write_all(STDERR_FILENO, buf, n);
	free(buf);
}

/*
 * Flushes stdout.  A reader that went away does not stop the fleet, as it
 * does not stop a single run (see check_stdout in cmd-run.c): the targets'
 * runs go on to their end, their output going nowhere.
 */
static void
flush_output(void)
{
	/* Only a reader gone: another failure (EIO, EAGAIN) is reported at the end. */
	errno = 0;
	if (fflush(stdout) != 0 && errno == EPIPE)
		cli_mute_gone_stdout();
}

/* An object of a target's JSON output, with "target" added, on stdout. */
static void
pass_json_line(const struct target *t, const char *line, size_t len)
{
	if (len < 2 || line[0] != '{')
		return;
	printf("{\"target\":\"%s\"%s%.*s\n", t->name, line[1] == '}' ? "" : ",", (int)(len - 1),
	       line + 1);
	flush_output();
}

/* Appends what fd has to *buf; returns 0 at the end of the stream. */
static int
drain(int fd, char **buf, size_t *len)
{
	char chunk[8192];
	ssize_t r;
	char *grown;

	r = read(fd, chunk, sizeof chunk);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (r == 0)
		return 0;
	grown = realloc(*buf, *len + (size_t)r + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + *len, chunk, (size_t)r);
	*buf = grown;
	*len += (size_t)r;
	return 1;
}

/* Passes on the complete lines of a buffer (all of it when final). */
static void
pass_lines(const struct cli *cli, struct target *t, int is_err, int final)
{
	char **buf = is_err ? &t->ebuf : &t->obuf;
	size_t *len = is_err ? &t->elen : &t->olen;
	size_t start = 0, i;

	if (!is_err && cli->format == CLI_FORMAT_TEXT)
		return; /* text is passed on as one block when the target ends */
	for (i = 0; i < *len; i++) {
		if ((*buf)[i] != '\n')
			continue;
		if (is_err)
			pass_err_line(cli, t, *buf + start, i - start);
		else
			pass_json_line(t, *buf + start, i - start);
		start = i + 1;
	}
	if (final && start < *len) {
		if (is_err)
			pass_err_line(cli, t, *buf + start, *len - start);
		else
			pass_json_line(t, *buf + start, *len - start);
		start = *len;
	}
	if (start > 0) {
		memmove(*buf, *buf + start, *len - start);
		*len -= start;
	}
}

/*
 * The child's argument list: this program, the run's own words without
 * --targets and its file, the target's options but a connection string,
 * and the share of -j.  *connect is the target's connection string
 * (borrowed from t), or NULL when it names its database otherwise.
 */
static char **
child_argv(const char *self, int argc, char **argv, char *const *drop, size_t ndrop,
           const struct target *t, int jobs, int color, char *jbuf, const char **connect)
{
	char **a = calloc((size_t)argc + t->nwords + 8, sizeof *a);
	size_t n = 0, j;
	int i;

	*connect = NULL;
	if (a == NULL)
		return NULL;
	a[n++] = (char *)self;
	a[n++] = argv[0];
	for (i = 1; i < argc; i++) {
		for (j = 0; j < ndrop; j++)
			if (argv[i] == drop[j])
				break;
		if (j == ndrop)
			a[n++] = argv[i];
	}
	n += cli_fleet_target_args(t, a + n, connect);
	/* The child writes to a pipe: it would never colour on its own. */
	a[n++] = (char *)(color ? "--color=always" : "--color=never");
	snprintf(jbuf, 16, "-j%d", jobs);
	a[n++] = jbuf;
	a[n] = NULL;
	return a;
}

/*
 * The child's environment: this process's, with UPGRADE_CONNECT set to
 * connect, or taken out when connect is NULL, so that the child connects
 * to its target and nothing else.  *var is the malloc'ed UPGRADE_CONNECT
 * entry the array points to.  NULL when out of memory.
 */
static char **
child_env(const char *connect, char **var)
{
	static const char name[] = "UPGRADE_CONNECT=";
	size_t n = 0, i;
	char **env;

	*var = NULL;
	while (environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof *env);
	if (env == NULL)
		return NULL;
	if (connect != NULL && asprintf(var, "%s%s", name, connect) < 0) {
		*var = NULL;
		free(env);
		return NULL;
	}
	n = 0;
	if (*var != NULL)
		env[n++] = *var;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], name, sizeof name - 1) != 0)
			env[n++] = environ[i];
	env[n] = NULL;
	return env;
}

/*
 * Starts the run of t with args, its connection string, if any, in its
 * environment, and the signal mask the fleet started with.
 */
static int
start_target(struct cli *cli, struct target *t, char **args, const char *connect,
             const sigset_t *mask)
{
	int o[2], e[2];
	char *var, **env = child_env(connect, &var);

	if (env == NULL)
		return -1;
	if (pipe2(o, O_CLOEXEC) != 0) {
		free(var);
		free(env);
		return -1;
	}
	if (pipe2(e, O_CLOEXEC) != 0) {
		close(o[0]);
		close(o[1]);
		free(var);
		free(env);
		return -1;
	}
	flush_output();
	fflush(stderr);
	t->pid = fork();
	if (t->pid == 0) {
		dup2(o[1], STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		{
			/*
			 * The fleet's handlers would swallow a stop signal sent
			 * before execve (one pending is delivered on unblocking):
			 * the run would then go on to its end.
			 */
			struct sigaction cur;
			size_t k;

			for (k = 0; k < CLI_NSTOP_SIGNALS; k++)
				if (sigaction(cli_stop_signals[k], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
					signal(cli_stop_signals[k], SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, mask, NULL);
		execve(args[0], args, env);
		fprintf(stderr, "%s: error: cannot run %s: %s\n", cli->progname, args[0], strerror(errno));
		_exit(CLI_EXIT_SOFTWARE);
	}
	free(var);
	free(env);
	close(o[1]);
	close(e[1]);
	if (t->pid < 0) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	t->out = o[0];
	t->err = e[0];
	t->started_ms = cli_now_ms();
	return 0;
}

/* SIGKILL for 9: the name a user would kill with; strsignal()'s words for others. */
static const char *
signal_name(int sig)
{
#define SIGNAL_NAME(s) {s, #s}
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		SIGNAL_NAME(SIGHUP),  SIGNAL_NAME(SIGINT),  SIGNAL_NAME(SIGQUIT), SIGNAL_NAME(SIGILL),
		SIGNAL_NAME(SIGTRAP), SIGNAL_NAME(SIGABRT), SIGNAL_NAME(SIGBUS),  SIGNAL_NAME(SIGFPE),
		SIGNAL_NAME(SIGKILL), SIGNAL_NAME(SIGUSR1), SIGNAL_NAME(SIGSEGV), SIGNAL_NAME(SIGUSR2),
		SIGNAL_NAME(SIGPIPE), SIGNAL_NAME(SIGALRM), SIGNAL_NAME(SIGTERM), SIGNAL_NAME(SIGXCPU),
		SIGNAL_NAME(SIGXFSZ), SIGNAL_NAME(SIGSYS),
	};
#undef SIGNAL_NAME
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	return strsignal(sig);
}

/*
 * The signals that stop a fleet: SIGHUP, SIGINT and SIGTERM are passed on
 * to the runs under way, whose end the fleet waits for and reports before
 * it ends by the same signal.  Without that the fleet would die at once
 * and leave its runs going on unseen, their output lost.  The handler
 * notes the signal; the main loop, which has them blocked but while it
 * waits in ppoll(), passes each one on.
 */
static volatile sig_atomic_t stop_signal, stop_count;

static void
note_stop_signal(int sig)
{
	stop_signal = sig;
	stop_count++;
}

/*
 * Catches the stop signals, but those ignored (under nohup the runs keep
 * ignoring them too), and blocks them.  *wait_mask is the mask from
 * before: ppoll() waits with it, the children start with it, and
 * release_stop_signals() restores it.
 */
static void
catch_stop_signals(struct sigaction old[CLI_NSTOP_SIGNALS], sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	stop_signal = stop_count = 0;
	sigemptyset(&block);
	for (i = 0; i < CLI_NSTOP_SIGNALS; i++)
		sigaddset(&block, cli_stop_signals[i]);
	pthread_sigmask(SIG_BLOCK, &block, wait_mask);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = note_stop_signal;
	sa.sa_mask = block;
	for (i = 0; i < CLI_NSTOP_SIGNALS; i++) {
		sigaction(cli_stop_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(cli_stop_signals[i], &sa, NULL);
	}
}

static void
release_stop_signals(const struct sigaction old[CLI_NSTOP_SIGNALS], const sigset_t *wait_mask)
{
	size_t i;

	for (i = 0; i < CLI_NSTOP_SIGNALS; i++)
		sigaction(cli_stop_signals[i], &old[i], NULL);
	pthread_sigmask(SIG_SETMASK, wait_mask, NULL);
}

/* Passes a stop signal on to every run under way; returns the signal. */
static int
pass_on_stop_signal(const struct target *t, size_t n)
{
	int sig = stop_signal;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].pid > 0 && t[i].status < 0)
			kill(t[i].pid, sig);
	return sig;
}

/* A target ended: its text output as one block, or its target_done object. */
static void
report_target(struct cli *cli, struct target *t)
{
	pass_lines(cli, t, 1, 1);
	/* A killed run says nothing itself: the fleet says why it ended. */
	if (t->signal != 0)
		cli_error(cli, "%s: killed by signal %d (%s)", t->name, t->signal,
		          signal_name(t->signal));
	if (cli->format == CLI_FORMAT_JSON) {
		json_object *o = cli_json_object("target_done");

		pass_lines(cli, t, 0, 1);
		if (o != NULL) {
			json_object_object_add(o, "target", json_object_new_string(t->name));
			json_object_object_add(o, "status", json_object_new_int(t->status));
			json_object_object_add(o, "code", json_object_new_string(cli_exit_name(t->status)));
			json_object_object_add(o, "duration_ms", json_object_new_int64(t->duration_ms));
			if (t->signal != 0)
				json_object_object_add(o, "signal", json_object_new_int(t->signal));
		}
		cli_json_print(o);
		return;
	}
	if (!cli->quiet)
		printf("%sTarget %s%s\n", cli->color ? "\033[1m" : "", t->name,
		       cli->color ? "\033[0m" : "");
	fwrite(t->obuf != NULL ? t->obuf : "", 1, t->olen, stdout);
	t->olen = 0;
	if (t->status == CLI_EXIT_OK) {
		if (!cli->quiet)
			printf("target %s: done\n", t->name);
	} else if (t->signal != 0) {
		printf("target %s: FAILED (killed by signal %d: %s)\n", t->name, t->signal,
		       signal_name(t->signal));
	} else {
		printf("target %s: FAILED (exit status %d: %s)\n", t->name, t->status,
		       cli_exit_name(t->status));
	}
	flush_output();
}

/*
 * The fleet was stopped by sig and its runs have ended: it says so, and
 * ends by the same signal, so that whatever started it sees it stopped as
 * it asked (a shell says 128 + sig; a supervisor sees the signal).  Returns
 * only if the signal does not end the process.
 */
static void
end_by_signal(const struct cli *cli, int sig)
{
	char *msg = NULL;
	sigset_t only;

	if (asprintf(&msg, "stopped by signal %d (%s)", sig, signal_name(sig)) < 0)
		msg = NULL;
	cli_error(cli, "%s", msg != NULL ? msg : "stopped by a signal");
	if (cli->format == CLI_FORMAT_JSON)
		cli_json_error(CLI_EXIT_SIGNAL + sig, msg != NULL ? msg : "stopped by a signal", NULL,
		               NULL, 0, NULL);
	free(msg);
	flush_output();
	fflush(stderr);
	signal(sig, SIG_DFL);
	sigemptyset(&only);
	sigaddset(&only, sig);
	pthread_sigmask(SIG_UNBLOCK, &only, NULL);
	raise(sig);
}

int
cli_fleet_run(struct cli *cli, int argc, char **argv, char *const *drop, size_t ndrop, int jobs,
              int keep_going)
{
	struct target *t = NULL;
	size_t n = 0, next = 0, running = 0, i, ok = 0, failed = 0, skipped = 0;
	int ret, parallel, per_target, stop = 0, first_status = -1, same = 1, stopped_by = 0;
	sig_atomic_t passed_on = 0;
	char self[PATH_MAX];
	ssize_t len;
	struct sigaction old_actions[CLI_NSTOP_SIGNALS];
	sigset_t wait_mask;

	if (cli->connect != NULL || cli->dsn != NULL || cli->database != NULL)
		return cli_usage_error(cli, "--targets names the databases: use no --connect, --dsn "
		                            "or --database with it");
	ret = cli_fleet_read_targets(cli, cli->targets, &t, &n);
	if (ret != CLI_EXIT_OK)
		return ret;
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0) {
		cli_error(cli, "cannot find this program to run the targets: %s", strerror(errno));
		cli_fleet_free_targets(t, n);
		return CLI_EXIT_SOFTWARE;
	}
	self[len] = '\0';
	/* -j N is the connections in all: N targets at once, each with its share of N. */
	parallel = jobs < (int)n ? jobs : (int)n;
	per_target = jobs / parallel > 0 ? jobs / parallel : 1;
	/* Ignored by whoever started the fleet, it would leave no status to wait for. */
	signal(SIGCHLD, SIG_DFL);
	catch_stop_signals(old_actions, &wait_mask);
	while (next < n || running > 0) {
		struct pollfd *fds;
		size_t nfds = 0;

		while (!stop && next < n && running < (size_t)parallel) {
			char jbuf[16];
			const char *connect;
			char **args = child_argv(self, argc, argv, drop, ndrop, &t[next], per_target,
			                         cli->color, jbuf, &connect);

			if (args == NULL || start_target(cli, &t[next], args, connect, &wait_mask) < 0) {
				cli_error(cli, "target %s: cannot start its run: %s", t[next].name,
				          strerror(errno));
				t[next].status = CLI_EXIT_SOFTWARE;
				report_target(cli, &t[next]);
				failed++;
				if (first_status < 0)
					first_status = t[next].status;
				else if (first_status != t[next].status)
					same = 0;
				if (!keep_going)
					stop = 1;
			} else {
				running++;
			}
			free(args);
			next++;
		}
		if (running == 0) {
			if (stop)
				break;
			continue;
		}
		fds = calloc(2 * n, sizeof *fds);
		if (fds == NULL) {
			ret = CLI_EXIT_SOFTWARE;
			break;
		}
		for (i = 0; i < n; i++) {
			if (t[i].out >= 0)
				fds[nfds++] = (struct pollfd){.fd = t[i].out, .events = POLLIN};
			if (t[i].err >= 0)
				fds[nfds++] = (struct pollfd){.fd = t[i].err, .events = POLLIN};
		}
		if (ppoll(fds, nfds, NULL, &wait_mask) < 0 && errno != EINTR) {
			free(fds);
			ret = CLI_EXIT_SOFTWARE;
			break;
		}
		free(fds);
		/* Each signal is passed on, a second SIGINT too: the runs may take their time. */
		if (stop_count != passed_on) {
			passed_on = stop_count;
			stopped_by = pass_on_stop_signal(t, n);
			stop = 1;
		}
		for (i = 0; i < n; i++) {
			int wstatus;
			pid_t waited;
			struct pollfd pf[2] = {{.fd = t[i].out, .events = POLLIN},
			                       {.fd = t[i].err, .events = POLLIN}};

			if (t[i].pid <= 0 || t[i].status >= 0)
				continue;
			if (t[i].out >= 0 && poll(&pf[0], 1, 0) > 0 && !drain(t[i].out, &t[i].obuf, &t[i].olen)) {
				close(t[i].out);
				t[i].out = -1;
			}
			if (t[i].err >= 0 && poll(&pf[1], 1, 0) > 0 && !drain(t[i].err, &t[i].ebuf, &t[i].elen)) {
				close(t[i].err);
				t[i].err = -1;
			}
			pass_lines(cli, &t[i], 1, 0);
			pass_lines(cli, &t[i], 0, 0);
			if (t[i].out >= 0 || t[i].err >= 0)
				continue;
			/* Both streams ended: the child has exited or is about to. */
			wstatus = 0;
			while ((waited = waitpid(t[i].pid, &wstatus, 0)) < 0 && errno == EINTR)
				;
			/* Not to be had (SIGCHLD ignored by whoever started the fleet): unknown. */
			t[i].signal = waited > 0 && WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
			t[i].status = waited <= 0       ? CLI_EXIT_SOFTWARE
			              : t[i].signal != 0 ? CLI_EXIT_SIGNAL + t[i].signal
			                                 : WEXITSTATUS(wstatus);
			t[i].duration_ms = cli_now_ms() - t[i].started_ms;
			running--;
			report_target(cli, &t[i]);
			if (t[i].status == CLI_EXIT_OK) {
				ok++;
			} else {
				failed++;
				if (first_status < 0)
					first_status = t[i].status;
				else if (first_status != t[i].status)
					same = 0;
				if (!keep_going)
					stop = 1;
			}
		}
	}
	for (i = next; i < n; i++) {
		skipped++;
		if (cli->format == CLI_FORMAT_JSON) {
			json_object *o = cli_json_object("target_skipped");

			if (o != NULL)
				json_object_object_add(o, "target", json_object_new_string(t[i].name));
			cli_json_print(o);
		} else if (stopped_by != 0) {
			printf("target %s: not run: the run was stopped by %s\n", t[i].name,
			       signal_name(stopped_by));
		} else {
			printf("target %s: not run: an earlier target failed (--keep-going runs every "
			       "target)\n",
			       t[i].name);
		}
	}
	if (cli->format == CLI_FORMAT_TEXT && !cli->quiet)
		printf("%zu target%s: %zu done, %zu failed, %zu not run\n", n, n == 1 ? "" : "s", ok,
		       failed, skipped);
	flush_output();
	cli_fleet_free_targets(t, n);
	if (stopped_by != 0)
		end_by_signal(cli, stopped_by);
	release_stop_signals(old_actions, &wait_mask);
	if (stopped_by != 0)
		return CLI_EXIT_SIGNAL + stopped_by;
	if (ret != CLI_EXIT_OK)
		return ret;
	if (failed == 0)
		return CLI_EXIT_OK;
	{
		char msg[128];

		snprintf(msg, sizeof msg, "%zu of %zu targets failed", failed, failed + ok + skipped);
		cli_error(cli, "%s", msg);
		cli_note_error(NULL, "");
	}
	/* Some targets upgraded, some not: like schemas under --keep-going. */
	if (ok > 0 || first_status < 0 || !same)
		return CLI_EXIT_PARTIAL;
	return first_status;
}
