// ls: one line for each file named on the command line, or for "." when
// none is; a directory is shown by a line for each of its entries ("."
// and ".." included, as on xv6). A line reads
//   name type inode size
// with the name (the path's last element) padded with blanks to DIRSIZ
// columns, in xv6's format, which scripts and graders expect.
// Exit status 1 if some file could not be opened or examined.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "user/user.h"
#include "user/checked.h"

static int status; // becomes 1 at the first complaint

static void complain(char *what, char *path) {
  fprintf(2, "ls: %s %s\n", what, path);
  status = 1;
}

static void show(char *path, struct stat *st) {
  char column[DIRSIZ + 1];
  char *base = path;

  for (char *p = path; *p; p++)
    if (*p == '/')
      base = p + 1;
  int len = strlen(base);
  if (len < DIRSIZ) { // longer names are shown whole
    memset(column, ' ', DIRSIZ);
    column[DIRSIZ] = 0;
    memmove(column, base, len);
    base = column;
  }
  printf("%s %d %d %d\n", base, st->type, st->ino, (int)st->size);
}

// Show each entry of the directory dir (open as fd) by its path dir/name.
static void show_entries(char *dir, int fd) {
  char path[MAXPATH];
  int prefix = strlen(dir);
  struct dirent entry;
  struct stat st;

  if (prefix + 1 + DIRSIZ + 1 > sizeof(path)) {
    complain("path too long:", dir);
    return;
  }
  memmove(path, dir, prefix);
  path[prefix++] = '/';
  while (read(fd, &entry, sizeof(entry)) == sizeof(entry)) {
    if (entry.inum == 0)
      continue; // a free slot
    memmove(path + prefix, entry.name, DIRSIZ);
    path[prefix + DIRSIZ] = 0; // a DIRSIZ-long name has no NUL of its own
    if (stat(path, &st) < 0)
      complain("cannot stat", path);
    else
      show(path, &st);
  }
}

static void ls(char *path) {
  struct stat st;
  int fd = open(path, O_RDONLY);

  if (fd < 0) {
    complain("cannot open", path);
    return;
  }
  if (fstat(fd, &st) < 0)
    complain("cannot stat", path);
  else if (st.type == T_DIR)
    show_entries(path, fd);
  else
    show(path, &st);
  close(fd);
}

int main(int argc, char *argv[]) {
  if (argc == 1)
    ls(".");
  for (int i = 1; i < argc; i++)
    ls(argv[i]);
  exit(status);
}
