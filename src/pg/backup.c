/*
 * Base backups: the engine's part of a copy made with pg_basebackup or pg_backup_start()/pg_backup_stop().
 *
 * Facts this is designed against (PostgreSQL 15): a backup starts with a checkpoint whose redo position R is
 * the START WAL LOCATION of its backup_label, and copies WAL from R only; files are then copied in any order
 * while the engine keeps writing, so the copy of the engine's LMDB file may be torn; pg_replslot/ is not
 * copied; pg_backup_stop() (and pg_basebackup) writes an XLOG_BACKUP_END record naming R.
 *
 * On the primary, the apply worker takes part in every checkpoint (apply.c). When it covers one that a backup
 * is waiting for (a walsender in the "waiting for checkpoint to finish" phase of BASE_BACKUP, or a running
 * statement calling pg_backup_start), it has dealt with every record up to some position P >= R; it then
 * saves its transactions in flight as of P to govector/backups/<R>.pending and has the engine write a copy of
 * its committed state (which is exactly that as of P) to govector/backups/<R>/ — all before the checkpoint
 * completes, so before the backup copies any file. The XLOG_BACKUP_END record removes both.
 *
 * In a server started from the copy, the postmaster finds backup_label: it writes the restore marker
 * (govector/restore, naming R) and moves the pending file to govector/restore.pending. The startup process
 * keeps WAL from there (no slot was copied). The supervisor starts the engine with --restore-from R, which
 * puts the copy in place of the torn file; the apply worker loads the saved transactions and reads WAL from
 * P. The copy then holds exactly the committed vector writes whose transactions are in its tables.
 *
 * A copy without the engine's copy (made while the engine was down, from a standby, or with a tool that ran
 * no backup checkpoint we could see) cannot be made consistent: the supervisor does not start the engine
 * and every gv_* call fails with SQLSTATE XX001, saying so (the log says it once).
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "commands/progress.h"
#include "common/file_perm.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "storage/fd.h"
#include "utils/backend_progress.h"
#include "utils/backend_status.h"

#include "govector_pg.h"

#define GV_BACKUPS_DIR GV_DATA_SUBDIR "/backups"

void
gv_backup_name(XLogRecPtr redo, char *name)
{
	snprintf(name, GV_BACKUP_NAME_LEN + 1, "%08X%08X", LSN_FORMAT_ARGS(redo));
}

void
gv_backup_pending_path(const char *name, char *path)
{
	snprintf(path, MAXPGPATH, "%s/%s.pending", GV_BACKUPS_DIR, name);
}

static bool
gv_valid_backup_name(const char *name)
{
	int			i;

	for (i = 0; i < GV_BACKUP_NAME_LEN; i++)
		if (!isxdigit((unsigned char) name[i]))
			return false;
	return name[GV_BACKUP_NAME_LEN] == '\0';
}

/* The backup copy the restore marker names, in name; false when there is no (valid) marker. */
bool
gv_restore_marker_read(char *name)
{
	char		buf[GV_BACKUP_NAME_LEN + 2];
	int			fd = open(GV_RESTORE_MARKER, O_RDONLY | O_CLOEXEC);
	ssize_t		n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < GV_BACKUP_NAME_LEN)
		return false;
	buf[GV_BACKUP_NAME_LEN] = '\0';
	if (!gv_valid_backup_name(buf))
		return false;
	strlcpy(name, buf, GV_BACKUP_NAME_LEN + 1);
	return true;
}

static void
gv_write_marker(const char *name)
{
	char		tmp[MAXPGPATH];
	int			fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", GV_RESTORE_MARKER);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, pg_file_create_mode);
	if (fd < 0 || write(fd, name, GV_BACKUP_NAME_LEN) != GV_BACKUP_NAME_LEN || write(fd, "\n", 1) != 1 ||
		pg_fsync(fd) != 0)
		ereport(FATAL, (errcode_for_file_access(), errmsg("govector: could not write \"%s\": %m", tmp)));
	close(fd);
	durable_rename(tmp, GV_RESTORE_MARKER, FATAL);
}

/* The START WAL LOCATION of backup_label, or InvalidXLogRecPtr when there is none. */
static XLogRecPtr
gv_backup_label_start(void)
{
	FILE	   *f = AllocateFile(BACKUP_LABEL_FILE, "r");
	char		line[MAXPGPATH];
	XLogRecPtr	start = InvalidXLogRecPtr;

	if (f == NULL)
		return InvalidXLogRecPtr;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		uint32		hi,
					lo;

		if (sscanf(line, "START WAL LOCATION: %X/%X", &hi, &lo) == 2)
		{
			start = ((uint64) hi << 32) | lo;
			break;
		}
	}
	FreeFile(f);
	if (start == InvalidXLogRecPtr)
		ereport(WARNING, (errmsg("govector: \"%s\" has no START WAL LOCATION", BACKUP_LABEL_FILE)));
	return start;
}

/*
 * In the postmaster at server start (the working directory is the data directory). A server starting from a
 * base backup (backup_label is there) restores the engine's copy made for it; backup copies of any other
 * name are left from backups of the server this one was copied from, or from backups that never ended (no
 * backup survives a server restart): they are removed.
 */
void
gv_backup_server_start(void)
{
	XLogRecPtr	start = gv_backup_label_start();
	char		keep[GV_BACKUP_NAME_LEN + 1] = "";
	DIR		   *dir;
	struct dirent *de;

	if (start != InvalidXLogRecPtr)
	{
		char		pending[MAXPGPATH];

		(void) mkdir(GV_DATA_SUBDIR, pg_dir_create_mode);
		gv_backup_name(start, keep);
		gv_backup_pending_path(keep, pending);
		if (access(pending, F_OK) == 0)
			durable_rename(pending, GV_RESTORE_PENDING, FATAL);
		gv_write_marker(keep);
		ereport(LOG,
				(errmsg("govector: starting from a base backup that began at %X/%X; the engine restores the copy "
						"of its data made for it", LSN_FORMAT_ARGS(start))));
	}
	else if (!gv_restore_marker_read(keep))
		keep[0] = '\0';
	dir = AllocateDir(GV_BACKUPS_DIR);
	if (dir == NULL)
		return;
	while ((de = ReadDir(dir, GV_BACKUPS_DIR)) != NULL)
	{
		char		path[MAXPGPATH];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			(keep[0] != '\0' && strcmp(de->d_name, keep) == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", GV_BACKUPS_DIR, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			(void) rmtree(path, true);	/* it warns of what it could not remove */
		else if (unlink(path) != 0)
			ereport(WARNING, (errcode_for_file_access(), errmsg("govector: could not remove \"%s\": %m", path)));
	}
	FreeDir(dir);
}

/*
 * In the startup process, as redo begins (the rmgr's startup callback). A server restored from a base backup
 * has no replication slot keeping the WAL the apply worker will read from the restore position: until the
 * worker creates its own, checkpoints and restartpoints keep WAL from there (or from the oldest slot's).
 */
void
gv_backup_redo_start(void)
{
	XLogRecPtr	keep;
	XLogRecPtr	point;
	char		name[GV_BACKUP_NAME_LEN + 1];
	int			i;

	if (!gv_restore_marker_read(name) && access(GV_RESTORE_PENDING, F_OK) != 0)
		return;
	keep = GetRedoRecPtr();
	if (gv_pending_saved_point(GV_RESTORE_PENDING, &point) && point != InvalidXLogRecPtr && point < keep)
		keep = point;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (i = 0; i < max_replication_slots; i++)
	{
		ReplicationSlot *s = &ReplicationSlotCtl->replication_slots[i];
		XLogRecPtr	lsn;

		if (!s->in_use)
			continue;
		SpinLockAcquire(&s->mutex);
		lsn = s->data.restart_lsn;
		SpinLockRelease(&s->mutex);
		if (lsn != InvalidXLogRecPtr && lsn < keep)
			keep = lsn;
	}
	LWLockRelease(ReplicationSlotControlLock);
	XLogSetReplicationSlotMinimumLSN(keep);
	ereport(LOG, (errmsg("govector: keeping WAL from %X/%X for the engine's restore", LSN_FORMAT_ARGS(keep))));
}

static bool
gv_mentions_backup_start(const char *query)
{
	const char *needle = "pg_backup_start";
	size_t		n = strlen(needle);
	const char *p;

	for (p = query; *p; p++)
		if (pg_strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/*
 * Whether a backup waits for the checkpoint now in progress: a walsender running BASE_BACKUP in its "waiting
 * for checkpoint to finish" phase, or a statement calling pg_backup_start. Both are seen through the
 * activity each backend reports (track_activities, on by default); a backup not seen gets no engine copy, and
 * a server started from it refuses to serve vectors.
 */
bool
gv_backup_starting(void)
{
	int			n;
	int			i;
	bool		found = false;

	pgstat_clear_backend_activity_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n && !found; i++)
	{
		LocalPgBackendStatus *l = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *b;

		if (l == NULL)
			continue;
		b = &l->backendStatus;
		if (b->st_progress_command == PROGRESS_COMMAND_BASEBACKUP &&
			b->st_progress_param[PROGRESS_BASEBACKUP_PHASE] == PROGRESS_BASEBACKUP_PHASE_WAIT_CHECKPOINT)
			found = true;
		else if (b->st_state == STATE_RUNNING && b->st_activity_raw != NULL &&
				 gv_mentions_backup_start(b->st_activity_raw))
			found = true;
	}
	pgstat_clear_backend_activity_snapshot();
	return found;
}
