/* SPDX-License-Identifier: MIT */
/*
 * upgrade.h - libupgrade, the portable database migration toolkit.
 *
 * Include this umbrella header; it pulls in every public part of the API.
 * See libupgrade(3) for the lifecycle of the handles, ownership rules and
 * the error model.
 */
#ifndef UPGRADE_H
#define UPGRADE_H

#include "upgrade/common.h"
#include "upgrade/catalog.h"
#include "upgrade/connection.h"
#include "upgrade/context.h"
#include "upgrade/catalog.h"
#include "upgrade/runner.h"

#endif /* UPGRADE_H */
