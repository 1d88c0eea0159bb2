// SPDX-License-Identifier: GPL-2.0
/*
 * qmp - runs in L1: one QMP command to a QEMU monitor socket, its reply on stdout.
 *
 * usage: qmp SOCKET 'JSON command'
 * Reads the greeting, negotiates capabilities, sends the command and prints the first
 * reply ("return" or "error") as one line, skipping events. Exit 0 on a "return",
 * 1 on an "error" reply, 2 when the monitor cannot be reached or answers nothing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *mon;

/* The next line from the monitor that is not an event; NULL at its end. */
static char *reply(void)
{
	static char *line;
	static size_t cap;

	while (getline(&line, &cap, mon) > 0)
		if (!strstr(line, "\"event\""))
			return line;
	return NULL;
}

static void send_cmd(int fd, const char *json)
{
	size_t len = strlen(json);

	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		perror("qmp: write");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *r;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp SOCKET 'JSON command'\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(argv[1]);
		return 2;
	}
	mon = fdopen(dup(fd), "r");
	/* the greeting, then capabilities negotiation: only then are commands taken */
	if (!mon || !reply()) {
		fprintf(stderr, "qmp: no greeting on %s\n", argv[1]);
		return 2;
	}
	send_cmd(fd, "{\"execute\": \"qmp_capabilities\"}");
	r = reply();
	if (!r || !strstr(r, "\"return\"")) {
		fprintf(stderr, "qmp: capabilities refused: %s", r ? r : "no reply\n");
		return 2;
	}
	send_cmd(fd, argv[2]);
	r = reply();
	if (!r) {
		fprintf(stderr, "qmp: no reply to %s\n", argv[2]);
		return 2;
	}
	fputs(r, stdout);
	return strstr(r, "\"return\"") ? 0 : 1;
}
