/*
 * Shell completion: `virt-snaptree --complete -- WORD... CURRENT` prints, one per line, the
 * words that may stand where CURRENT is being typed after the words before it (all of them,
 * without the program's name). The bash completion script asks this instead of keeping its own
 * copy of the options, as virsh's does with `virsh complete`. Not for people: not in --help.
 */
#ifndef ST_COMPLETE_H
#define ST_COMPLETE_H

/* argv: what follows --complete (an optional "--", then the words). Returns the exit status. */
int st_complete_main(int argc, char **argv);

#endif
