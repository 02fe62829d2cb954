// ls: describe each named file, or ".", one line per file:
//   name (padded to DIRSIZ)  type  inode-number  size
// as xv6's ls does; a directory is described by listing its entries.
// Exit status 1 if anything could not be examined.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "user/user.h"
#include "user/checked.h"

// The last component of path, padded with blanks to DIRSIZ characters
// (longer names are returned whole).
static char *padded_name(char *path) {
  static char buf[DIRSIZ + 1];
  char *name = path + strlen(path);
  while (name > path && name[-1] != '/')
    name--;
  uint len = strlen(name);
  if (len >= DIRSIZ)
    return name;
  memmove(buf, name, len);
  memset(buf + len, ' ', DIRSIZ - len);
  buf[DIRSIZ] = 0;
  return buf;
}

static void describe(char *path, struct stat *st) {
  printf("%s %d %d %d\n", padded_name(path), st->type, st->ino, (int)st->size);
}

// Describe every entry of the open directory fd, named path; 0 or -1.
static int list_dir(char *path, int fd) {
  char buf[MAXPATH];
  uint len = strlen(path);
  if (len + 1 + DIRSIZ + 1 > sizeof(buf)) {
    fprintf(2, "ls: path too long\n");
    return -1;
  }
  strcpy(buf, path);
  buf[len++] = '/';
  struct dirent de;
  int status = 0;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue; // a free slot
    memmove(buf + len, de.name, DIRSIZ);
    buf[len + DIRSIZ] = 0; // a name of exactly DIRSIZ bytes has no NUL
    struct stat st;
    if (stat(buf, &st) < 0) {
      fprintf(2, "ls: cannot stat %s\n", buf);
      status = -1;
      continue;
    }
    describe(buf, &st);
  }
  return status;
}

static int ls(char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: cannot open %s\n", path);
    return -1;
  }
  struct stat st;
  int r = 0;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: cannot stat %s\n", path);
    r = -1;
  } else if (st.type == T_DIR) {
    r = list_dir(path, fd);
  } else {
    describe(path, &st);
  }
  close(fd);
  return r;
}

int main(int argc, char *argv[]) {
  if (argc < 2)
    return ls(".") < 0;
  int status = 0;
  for (int i = 1; i < argc; i++)
    if (ls(argv[i]) < 0)
      status = 1;
  return status;
}
