/* SPDX-License-Identifier: MIT */
/* online.h - printing shared by the online commands (dev.c, monitor.c). */
#ifndef FLOWPLANCTL_ONLINE_H
#define FLOWPLANCTL_ONLINE_H

#include <stdbool.h>
#include <stdint.h>

struct nlattr;

const char *fp_port_state_name(uint8_t s);
const char *fp_link_name(uint8_t l);
void fp_print_port(struct nlattr *port, bool gids);
void fp_print_device(struct nlattr *dev, bool gids);

#endif
