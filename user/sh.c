// sh: the shell.
//
// Prints "$ " on fd 2, reads a line, parses it into a tree of commands and
// runs the tree; end of input exits. The grammar, loosest binding first:
//   list     := pipeline [ (';' | '&') [list] ]
//   pipeline := command [ '|' pipeline ]
//   command  := ( '(' list ')' | word... ) with redirections anywhere:
//               '<' word (stdin), '>' word (stdout, truncate),
//               '>>' word (stdout, append)
// A word is a run of characters other than blanks and |;&()<>.
//
// Lists run in the shell process itself, so "cd d; ls" changes the shell's
// directory; a parenthesised list runs in a child, like a subshell. Every
// other command runs in a child the shell waits for, unless it is followed
// by '&'. cd is built in. A command name without '/' that cannot be run is
// retried in the root directory, where the programs live.
//
// The tree of one line lives in static pools (nodes, word bytes, argv
// pointers) that are reset before each line and big enough for any line:
// every node consumes at least one input byte, and every word or argv
// entry at most two. Children get their own copies through fork().
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

#define LINE 512 // longest line read

enum kind { EXEC, REDIR, PIPE, LIST, BACK, SUB };

struct cmd {
  enum kind kind;
  struct cmd *left;  // REDIR, BACK, SUB: the command; PIPE, LIST: first
  struct cmd *right; // PIPE, LIST: second
  char **argv;       // EXEC: 0-terminated, in args[]
  int argc;          // EXEC
  char *file;        // REDIR: file name
  int fd;            // REDIR: descriptor it replaces (0 or 1)
  int mode;          // REDIR: open() flags
  int append;        // REDIR: start writing at the end of the file
};

static struct cmd nodes[LINE];
static int nnodes;
static char words[2 * LINE]; // NUL-terminated copies of the line's words
static int nwords;
static char *args[2 * LINE]; // the EXEC nodes' argv arrays, one by one
static int nargs;

// ---------------------------------------------------------------- lexer

// The current token: a symbol character, or one of these.
#define TOK_END 0
#define TOK_WORD 'w'
#define TOK_APPEND '+' // ">>"

static char *pos;   // next unread character of the line
static int tok;     // current token
static char *word;  // TOK_WORD: its text, in words[]
static char *error; // first parse error of the line, or 0

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'; }

static int symbol(char c) { return c != 0 && strchr("|;&()<>", c) != 0; }

// Move to the next token.
static void advance(void) {
  while (blank(*pos))
    pos++;
  if (*pos == 0) {
    tok = TOK_END;
  } else if (pos[0] == '>' && pos[1] == '>') {
    tok = TOK_APPEND;
    pos += 2;
  } else if (symbol(*pos)) {
    tok = *pos++;
  } else {
    tok = TOK_WORD;
    word = &words[nwords];
    while (*pos != 0 && !blank(*pos) && !symbol(*pos))
      words[nwords++] = *pos++;
    words[nwords++] = 0;
  }
}

// ---------------------------------------------------------------- parser

static struct cmd *fail(char *msg) {
  if (error == 0)
    error = msg;
  return 0;
}

static struct cmd *node(enum kind kind, struct cmd *left, struct cmd *right) {
  if (nnodes == LINE)
    return fail("line too complex"); // cannot happen; see above
  struct cmd *c = &nodes[nnodes++];
  memset(c, 0, sizeof(*c));
  c->kind = kind;
  c->left = left;
  c->right = right;
  return c;
}

// Parse one redirection at tok into a REDIR node (its command not yet set).
static struct cmd *redirection(void) {
  int op = tok;
  advance();
  if (tok != TOK_WORD)
    return fail("missing file name after redirection");
  struct cmd *r = node(REDIR, 0, 0);
  if (r == 0)
    return 0;
  r->file = word;
  r->fd = op == '<' ? 0 : 1;
  if (op == '<')
    r->mode = O_RDONLY;
  else if (op == '>')
    r->mode = O_WRONLY | O_CREATE | O_TRUNC;
  else
    r->mode = O_RDWR | O_CREATE; // append reads its way to the end
  r->append = op == TOK_APPEND;
  advance();
  return r;
}

static struct cmd *parse_list(void);

// Words (only if c is an EXEC node) and redirections following a command;
// returns the command wrapped in its redirections. The first redirection
// ends up outermost, so they are applied left to right: with "> a > b"
// output goes to b, as in other shells.
static struct cmd *operands(struct cmd *c) {
  struct cmd *outer = c, **hole = &outer;
  for (;;) {
    if (tok == '<' || tok == '>' || tok == TOK_APPEND) {
      struct cmd *r = redirection();
      if (r == 0)
        return 0;
      *hole = r;
      hole = &r->left;
    } else if (tok == TOK_WORD && c->kind == EXEC) {
      if (c->argc == MAXARG - 1) // exec() takes MAXARG pointers, 0 included
        return fail("too many arguments");
      // No other EXEC node is made while c's words are read, so its argv
      // grows at the end of args[].
      args[nargs++] = word;
      c->argc++;
      advance();
    } else {
      break;
    }
  }
  if (c->kind == EXEC && c->argc == 0)
    return fail("syntax error");
  if (c->kind == EXEC)
    args[nargs++] = 0;
  *hole = c;
  return outer;
}

static struct cmd *parse_command(void) {
  if (tok != '(') {
    struct cmd *c = node(EXEC, 0, 0);
    if (c == 0)
      return 0;
    c->argv = &args[nargs];
    return operands(c);
  }
  advance();
  struct cmd *inner = parse_list();
  if (inner == 0)
    return 0;
  if (tok != ')')
    return fail("missing )");
  advance();
  struct cmd *sub = node(SUB, inner, 0);
  return sub ? operands(sub) : 0;
}

static struct cmd *parse_pipeline(void) {
  struct cmd *c = parse_command();
  if (c == 0 || tok != '|')
    return c;
  advance();
  struct cmd *rest = parse_pipeline();
  return rest ? node(PIPE, c, rest) : 0;
}

static struct cmd *parse_list(void) {
  struct cmd *c = parse_pipeline();
  if (c == 0)
    return 0;
  if (tok == '&')
    c = node(BACK, c, 0);
  else if (tok != ';')
    return c;
  advance();
  if (c == 0 || tok == TOK_END || tok == ')')
    return c;
  struct cmd *rest = parse_list();
  return rest ? node(LIST, c, rest) : 0;
}

// Parse a whole line. Returns its tree, or 0 for an empty line or an error
// (already reported).
static struct cmd *parse_line(char *line) {
  nnodes = nwords = nargs = 0;
  error = 0;
  pos = line;
  advance();
  if (tok == TOK_END)
    return 0;
  struct cmd *c = parse_list();
  if (c != 0 && tok != TOK_END)
    c = fail("syntax error");
  if (c == 0)
    fprintf(2, "sh: %s\n", error);
  return c;
}

// ---------------------------------------------------------------- executor

static int run(struct cmd *c);

// Fork, or give up on this command if no process is left for it.
static int fork_or_complain(void) {
  int pid = fork();
  if (pid < 0)
    fprintf(2, "sh: fork failed\n");
  return pid;
}

// Wait until child pid exits and return its status, reaping any earlier
// background children that happen to exit first.
static int wait_for(int pid) {
  int status, w;
  while ((w = wait(&status)) >= 0)
    if (w == pid)
      return status;
  return -1;
}

static int builtin_cd(char **argv) {
  char *dir = argv[1] ? argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "sh: cannot cd %s\n", dir);
    return 1;
  }
  return 0;
}

static void exec_or_die(char **argv) __attribute__((noreturn));
static void exec_or_die(char **argv) {
  exec(argv[0], argv);
  if (strchr(argv[0], '/') == 0 && strlen(argv[0]) + 2 <= MAXPATH) {
    char path[MAXPATH];
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    exec(path, argv);
  }
  fprintf(2, "exec %s failed\n", argv[0]);
  exit(1);
}

// Make r->file the descriptor r->fd of this process; 0, or -1 on failure.
static int redirect(struct cmd *r) {
  int fd = open(r->file, r->mode);
  if (fd < 0) {
    fprintf(2, "sh: cannot open %s\n", r->file);
    return -1;
  }
  struct stat st;
  if (r->append && fstat(fd, &st) == 0 && st.type == T_FILE) {
    // There is no lseek(): reading to the end moves the offset there.
    char buf[512];
    while (read(fd, buf, sizeof(buf)) > 0)
      ;
  }
  if (fd != r->fd) {
    close(r->fd);
    if (dup(fd) != r->fd) { // a lower descriptor was free
      fprintf(2, "sh: cannot redirect to %s\n", r->file);
      return -1;
    }
    close(fd);
  }
  return 0;
}

static void become(struct cmd *c) __attribute__((noreturn));

// Fork a child running c with descriptor fd replaced by pipe end p[fd]:
// p[0], the read end, becomes stdin (0); p[1], the write end, stdout (1).
// Returns the child's pid, or -1.
static int pipe_child(int p[2], int fd, struct cmd *c) {
  int pid = fork_or_complain();
  if (pid == 0) {
    close(fd);
    dup(p[fd]); // takes the lowest free descriptor: fd
    close(p[0]);
    close(p[1]);
    become(c);
  }
  return pid;
}

// Run left | right in two children of this process; returns right's status.
static int run_pipe(struct cmd *c) {
  int p[2];
  if (pipe(p) < 0) {
    fprintf(2, "sh: pipe failed\n");
    return 1;
  }
  int pid[2];
  pid[0] = pipe_child(p, 1, c->left);
  pid[1] = pipe_child(p, 0, c->right);
  close(p[0]);
  close(p[1]);
  // Reap both ends, in whichever order they exit.
  int status = 1, left = pid[0] > 0, right = pid[1] > 0;
  while (left || right) {
    int st, w = wait(&st);
    if (w < 0)
      break;
    if (w == pid[0]) {
      left = 0;
    } else if (w == pid[1]) {
      right = 0;
      status = st;
    }
  }
  return status;
}

// Turn this process, a child of the shell, into command c.
static void become(struct cmd *c) {
  switch (c->kind) {
  case EXEC:
    if (strcmp(c->argv[0], "cd") == 0)
      exit(builtin_cd(c->argv));
    exec_or_die(c->argv);
  case REDIR:
    if (redirect(c) < 0)
      exit(1);
    become(c->left);
  case PIPE:
    exit(run_pipe(c));
  case SUB:
    exit(run(c->left));
  default: // LIST, BACK
    exit(run(c));
  }
}

// Run c on behalf of the shell process and return its exit status. Lists
// and cd run right here; everything else in a child.
static int run(struct cmd *c) {
  int pid;
  switch (c->kind) {
  case LIST:
    run(c->left);
    return run(c->right);
  case BACK:
    if ((pid = fork_or_complain()) == 0)
      become(c->left);
    return pid < 0;
  case EXEC:
    if (strcmp(c->argv[0], "cd") == 0)
      return builtin_cd(c->argv);
    // fall through
  default:
    if ((pid = fork_or_complain()) == 0)
      become(c);
    return pid < 0 ? 1 : wait_for(pid);
  }
}

// Read one line into buf. Returns -1 at end of input, 0 for a line, and 1
// for a line too long for buf (the rest of it is read and dropped).
static int read_line(char *buf, int size) {
  gets(buf, size);
  int n = strlen(buf);
  if (n == 0)
    return -1;
  if (n < size - 1 || buf[n - 1] == '\n' || buf[n - 1] == '\r')
    return 0;
  char c[2];
  do
    gets(c, sizeof(c));
  while (c[0] != 0 && c[0] != '\n' && c[0] != '\r');
  return 1;
}

int main(void) {
  // Make sure fds 0, 1 and 2 are open, so that a command's own files can
  // never land on them.
  int fd;
  while ((fd = open("console", O_RDWR)) >= 0) {
    if (fd >= 3) {
      close(fd);
      break;
    }
  }

  static char line[LINE];
  for (;;) {
    fprintf(2, "$ ");
    int r = read_line(line, sizeof(line));
    if (r < 0)
      break;
    if (r > 0) {
      fprintf(2, "sh: line too long\n");
      continue;
    }
    struct cmd *c = parse_line(line);
    if (c != 0)
      run(c);
  }
  exit(0);
}
