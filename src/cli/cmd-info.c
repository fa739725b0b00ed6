/* SPDX-License-Identifier: MIT */
/*
 * cmd-info.c - `upgrade info`: connect and say what is on the other side.
 *
 * It is the first thing to run against a new database, so it shows what
 * upgrade will rely on: engine and version, driver, the dialect chosen and
 * the capability bits that drive the runner.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int
print_json(const struct upgrade_conn *conn, unsigned int caps)
{
	json_object *obj = cli_json_object("info"), *list = json_object_new_array();
	unsigned int bit;
	int ret = CLI_EXIT_OK;

	if (obj == NULL || list == NULL) {
		json_object_put(obj);
		json_object_put(list);
		return CLI_EXIT_SOFTWARE;
	}
	json_object_object_add(obj, "engine", json_object_new_string(upgrade_conn_dbms_name(conn)));
	json_object_object_add(obj, "engine_version",
	                       json_object_new_string(upgrade_conn_dbms_version(conn)));
	json_object_object_add(obj, "dialect", json_object_new_string(upgrade_conn_dialect(conn)));
	json_object_object_add(obj, "driver", json_object_new_string(upgrade_conn_driver_name(conn)));
	json_object_object_add(obj, "driver_version",
	                       json_object_new_string(upgrade_conn_driver_version(conn)));
	json_object_object_add(obj, "connection", json_object_new_string(upgrade_conn_string(conn)));
	for (bit = 1; bit != 0; bit <<= 1)
		if ((caps & bit) != 0 && upgrade_capability_name(bit) != NULL)
			json_object_array_add(list, json_object_new_string(upgrade_capability_name(bit)));
	json_object_object_add(obj, "capabilities", list);
	if (cli_json_write(obj) == EOF)
		ret = CLI_EXIT_SOFTWARE;
	json_object_put(obj);
	return ret;
}

static void
print_text(const struct upgrade_conn *conn, unsigned int caps)
{
	unsigned int bit;
	int first = 1;

	printf("engine:       %s %s\n", upgrade_conn_dbms_name(conn), upgrade_conn_dbms_version(conn));
	printf("dialect:      %s\n", upgrade_conn_dialect(conn));
	printf("driver:       %s %s\n", upgrade_conn_driver_name(conn),
	       upgrade_conn_driver_version(conn));
	printf("connection:   %s\n", upgrade_conn_string(conn));
	printf("capabilities:");
	for (bit = 1; bit != 0; bit <<= 1) {
		const char *name = upgrade_capability_name(bit);
		if ((caps & bit) != 0 && name != NULL) {
			printf(" %s", name);
			first = 0;
		}
	}
	printf("%s\n", first ? " none" : "");
}

int
cmd_info(struct cli *cli, int argc, char **argv)
{
	struct upgrade_conn *conn = NULL;
	int ret, first;

	ret = cli_parse_options(cli, argc, argv, NULL, NULL, &first);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (first < argc)
		return cli_usage_error(cli, "info takes no arguments ('%s')", argv[first]);
	ret = cli_connect(cli, &conn);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (cli->format == CLI_FORMAT_JSON)
		ret = print_json(conn, upgrade_conn_capabilities(conn));
	else
		print_text(conn, upgrade_conn_capabilities(conn));
	upgrade_conn_free(conn);
	return ret;
}
