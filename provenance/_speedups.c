/* Optional compiled versions of the hottest loops of a comparison.
 *
 * Each function gives exactly what its pure-Python counterpart gives (the
 * tests hold them to it on random texts); the package works without this
 * module, only slower.  Character classes are Python's own: re's \s is
 * Py_UNICODE_ISSPACE and \w is Py_UNICODE_ISALNUM or "_", and str.split()
 * splits on Py_UNICODE_ISSPACE.
 *
 *   chunk_codes(old, old_cr, new, new_cr)
 *                               tokens.chunk_codes (cr: "\r" in the text)
 *   count_words(text, spans[, scripts])
 *                               sum of len(_PLAIN_WORD_RE.findall(text[s:e])),
 *                               given scripts (tokens._script_bitmaps) of the
 *                               full word pattern's (tokens.count_words)
 *   split_tokens(text[, scripts])
 *                               tokens._PLAIN_TOKEN_RE.split(text), given
 *                               scripts the full token pattern's
 *   sparse_tokens(text, plan[, width[, vocabulary[, scripts]]])
 *                               diff._sparse_tokens, as lists and arrays (given a
 *                               vocabulary: literals as codes,
 *                               diff.chunks._sparse_codes_py)
 *   anchor_runs(a, b)           diff._anchor_runs(diff._unique_anchors_py(a, b))
 *   diff_stretches(a, b, runs, diff)
 *                               diff._diff_stretches
 *   line_break_hyphens(text, ranges)
 *                               linebreaks._line_break_hyphens_py
 *   word_filter(text)           linebreaks._word_filter_py
 *   may_hold(filter, word)      linebreaks._may_hold_py
 *   has_any(text, bitmap)       a character of text is in the set (is_plain)
 *   unchanged_spans(kept, old_text, old_bounds, old_kinds, new_text, new_bounds, new_kinds, margin[,
 *                   old_tables, new_tables])
 *                               diff.growth._unchanged_spans_py
 *   fold_candidates(pairs, old_text, old_bounds, old_kinds, new_text, new_bounds, new_kinds, typography, nfkc)
 *                               diff.growth._fold_candidates_py
 *   may_fold(text, bounds, chunks, typography)
 *                               diff.folding._may_fold_py
 *   plans_from_spans(spans, holds_old, holds_new, run_starts, old, new)
 *                               diff.chunks._plans_from_spans_py
 *   paragraph_isolated(kept, old_kinds, new_kinds, old_text, old_bounds, new_text, new_bounds)
 *                               diff.chunks._paragraph_isolated_py
 *   split_runs(kept, old_merged, new_merged)
 *                               diff.chunks._split_runs_py
 *   kept_runs(ops, old_lengths, min_kept)
 *                               diff.chunks._kept_runs_py
 *   regions_of(pieces, width)   diff.regions._regions_py, as columns of bytes
 *   word_prefix(literals[, width])
 *                               tokens.word_prefix_py, as int64 (or int32) bytes
 *   unmatched_loose(text, bounds, codes, other_codes[, stable])
 *                               diff.folding._unmatched_loose_ids_py (stable:
 *                               the characters it folds itself, with the
 *                               Latin ligatures spelt out)
 *   matched_loose(text, bounds, codes, other_codes, stable, wanted)
 *                               diff.folding._matched_loose_ids_py
 *   loose_id(loose)             diff.folding._loose_id_py
 *   _mmap_big_blocks(threshold) glibc's mallopt(M_MMAP_THRESHOLD): no twin
 *   gap_kinds(text, starts, ends)
 *                               tokens._gap_kinds_py
 *   encode_keys_vocab(a_keys, b_keys)
 *                               codes._encode_keys_vocab
 *   encode_with(keys, vocabulary)
 *                               codes._encode_with_py
 *   map_codes(codes, table)     codes._map_codes_py
 *   flag_prefix(codes, flags[, width])
 *                               codes._flag_prefix_py
 *   flag_count(codes, flags, start, end)
 *                               codes._flag_count_py
 *   code_flags(codes, size)     codes._code_flags_py
 *   word_table(text, a, b, breaks, fold_word[, stable])
 *                               diff.folding._word_table_py (stable: the
 *                               pieces it folds itself, as in
 *                               unmatched_loose)
 *   canonical_key(text, a, b, breaks, fold_word[, stable])
 *                               diff.folding._canonical_key_py (stable: as
 *                               word_table's)
 *   whitespace_folded(text, a, b)
 *                               " ".join(text[a:b].split())
 *   formatting_groups(ol, nl, og, ng, a0, a1, b0, glued)
 *                               diff.build._formatting_groups_py
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <string.h>

/* ASCII from a table (most characters of most texts), the rest from Python. */
static unsigned char ascii_space[128], ascii_word[128];
#define ISSPACE(c) ((c) < 128 ? ascii_space[c] : Py_UNICODE_ISSPACE(c))
#define ISWORD(c) ((c) < 128 ? ascii_word[c] : Py_UNICODE_ISALNUM(c))

static int
append_new(PyObject *list, PyObject *item)  /* and let go of item */
{
    if (item == NULL)
        return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

static int
append_substring(PyObject *list, PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    return append_new(list, PyUnicode_Substring(text, start, end));
}

static int
is_closer(Py_UCS4 c)  /* ["'\u201d\u2019)\]] */
{
    return c == '"' || c == '\'' || c == 0x201d || c == 0x2019 || c == ')' || c == ']';
}

/* One text cut into chunks (tokens.split_chunks), as C arrays: for chunk k,
 * bounds[2k] is where its separator starts and bounds[2k + 1] where it
 * starts; its separator's gap kind; and the hash and length of its
 * whitespace-folded key, which is never made as a string. */
typedef struct {
    PyObject *text;
    int kind;
    const void *data;
    Py_ssize_t n, cap;
    Py_ssize_t *bounds, *lengths;
    unsigned char *kinds;
    uint64_t *hashes;
    Py_UCS4 *codes;
} Chunks;

static void
chunks_free(Chunks *t)
{
    PyMem_RawFree(t->bounds);  /* Raw: split_text runs without the GIL */
    PyMem_RawFree(t->lengths);
    PyMem_RawFree(t->kinds);
    PyMem_RawFree(t->hashes);
    PyMem_Free(t->codes);
}

/* tokens.gap_kind of a separator (all whitespace): GLUED 0, SPACE 1, PARAGRAPH 2. */
#define INNER_PARAGRAPH 4  /* tokens.INNER_PARAGRAPH */
static unsigned char
separator_kind(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    if (a == b)
        return 0;
    int newlines = 0;  /* with "\r\n" and "\r" read as "\n" */
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0x2029)
            return 2;
        if (c == '\r' && i + 1 < b && PyUnicode_READ(kind, data, i + 1) == '\n')
            i++;
        if (c == '\r' || c == '\n')
            newlines++;
    }
    return newlines >= 2 ? 2 : 1;
}


/* A chunk's folded key, " ".join(chunk.split()), is hashed (FNV-1a over
 * its code points) as the chunk is read, one character c at a time: h the
 * hash, length the key's length so far, pending whether whitespace came
 * since its last character.  (Locals, not a struct behind a pointer: 62 against 86 ms for 8 MB.) */
#define FNV_OFFSET 0xcbf29ce484222325ULL
static uint64_t hash_mask = ~0ULL;  /* narrowed by the tests, to make keys collide */
#define FNV_PRIME 0x100000001b3ULL
#define KEY_HASH_ADD(c)                         \
    do {                                        \
        if (ISSPACE(c))                         \
            pending = length > 0;               \
        else {                                  \
            if (pending) {                      \
                h = (h ^ ' ') * FNV_PRIME;      \
                length++;                       \
                pending = 0;                    \
            }                                   \
            h = (h ^ (c)) * FNV_PRIME;          \
            length++;                           \
        }                                       \
    } while (0)

/* One separator text[sep_a:sep_b] and the chunk after it, starting at
 * chunk_a, whose key has hash h and this length; inner: whether the chunk
 * holds a paragraph break (tokens.INNER_PARAGRAPH). */
static int
emit(Chunks *t, Py_ssize_t sep_a, Py_ssize_t sep_b, Py_ssize_t chunk_a, uint64_t h, Py_ssize_t length, int inner)
{
    if (t->n == t->cap) {
        Py_ssize_t cap = t->cap ? 2 * t->cap : 1024;
        void *bounds = PyMem_RawRealloc(t->bounds, (2 * cap + 1) * sizeof(Py_ssize_t));
        if (bounds != NULL)
            t->bounds = bounds;
        void *lengths = PyMem_RawRealloc(t->lengths, cap * sizeof(Py_ssize_t));
        if (lengths != NULL)
            t->lengths = lengths;
        void *kinds = PyMem_RawRealloc(t->kinds, cap);
        if (kinds != NULL)
            t->kinds = kinds;
        void *hashes = PyMem_RawRealloc(t->hashes, cap * sizeof(uint64_t));
        if (hashes != NULL)
            t->hashes = hashes;
        if (bounds == NULL || lengths == NULL || kinds == NULL || hashes == NULL)
            return -1;  /* out of memory (no exception here: no GIL) */
        t->cap = cap;
    }
    Py_ssize_t k = t->n++;
    t->bounds[2 * k] = sep_a;
    t->bounds[2 * k + 1] = chunk_a;
    t->kinds[k] = separator_kind(t->kind, t->data, sep_a, sep_b) | (inner ? INNER_PARAGRAPH : 0);
    t->hashes[k] = h & hash_mask;
    t->lengths[k] = length;
    return 0;
}

/* Whitespace inside a chunk: newlines counts the line breaks of the current
 * run ("\r\n" as one, U+2029 as two), so that a run of two or more between
 * two characters of the key (length > 0) is a paragraph break, as
 * tokens.gap_kind reads it. */
#define NEWLINES_ADD(c)                                         \
    do {                                                        \
        if ((c) == '\n')                                        \
            newlines += !prev_cr;                               \
        else if ((c) == '\r')                                   \
            newlines++;                                         \
        else if ((c) == 0x2029)                                 \
            newlines += 2;                                      \
        prev_cr = (c) == '\r';                                  \
    } while (0)
#define CHUNK_ADD(c)                                            \
    do {                                                        \
        if (ISSPACE(c))                                         \
            NEWLINES_ADD(c);                                    \
        else {                                                  \
            if (newlines >= 2 && length > 0)                    \
                inner = 1;                                      \
            newlines = prev_cr = 0;                             \
        }                                                       \
        KEY_HASH_ADD(c);                                        \
    } while (0)

/* The whole text cut at re.split(r"([.!?\u2026][\"'\u201d\u2019)\]]?)(\s+)")
 * (tokens.split_chunks): chunks are sentence + end mark, separators the
 * whitespace before each chunk (the first: empty); the whitespace after the
 * last sentence ends its chunk (no empty chunk).  A paragraph break is
 * whitespace like any other. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* ASCII characters that are neither whitespace nor a sentence end mark:
 * a run of them only goes into the key's hash (split_text's quick path). */
static unsigned char ascii_plain[128];

/* (Made once per kind of str, below: with the kind a constant, each
 * character is read straight from its array, not through a switch on the
 * kind; a run of plain ASCII characters is hashed in a loop of its own,
 * with no test a whitespace or an end mark needs: 4 MB of a 1-byte str in
 * some 20% less time.) */
static ALWAYS_INLINE int
split_text_of_kind(Chunks *t, const int kind)
{
    const void *data = t->data;
    Py_ssize_t a = 0, b = PyUnicode_GET_LENGTH(t->text);
    Py_ssize_t sep_a = 0, sep_b = 0, chunk_start = a, i = a, length = 0, newlines = 0;
    uint64_t h = FNV_OFFSET;
    int pending = 0, inner = 0, prev_cr = 0;
    while (i < b) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128 && ascii_plain[c]) {  /* what CHUNK_ADD does for each of a run of them */
            if (newlines >= 2 && length > 0)
                inner = 1;
            newlines = prev_cr = 0;
            if (pending) {
                h = (h ^ ' ') * FNV_PRIME;
                length++;
                pending = 0;
            }
            do {
                h = (h ^ c) * FNV_PRIME;
                length++;
            } while (++i < b && (c = PyUnicode_READ(kind, data, i)) < 128 && ascii_plain[c]);
            continue;
        }
        if (c == '.' || c == '!' || c == '?' || c == 0x2026) {  /* \u2026: an ellipsis */
            Py_ssize_t j = i + 1;
            if (j < b && is_closer(PyUnicode_READ(kind, data, j)))
                j++;
            Py_ssize_t k = j;
            while (k < b && ISSPACE(PyUnicode_READ(kind, data, k)))
                k++;
            if (k > j) {
                for (; i < j; i++) {  /* the end mark and its closer end the chunk */
                    Py_UCS4 m = PyUnicode_READ(kind, data, i);
                    CHUNK_ADD(m);
                }
                if (emit(t, sep_a, sep_b, chunk_start, h, length, inner) < 0)
                    return -1;
                h = FNV_OFFSET;
                length = pending = inner = prev_cr = 0;
                newlines = 0;
                sep_a = j;
                sep_b = k;
                chunk_start = k;
                i = k;
                continue;
            }
        }
        CHUNK_ADD(c);
        i++;
    }
    if (!(chunk_start == b && chunk_start > a)) {  /* (whitespace after the last sentence ends its chunk) */
        if (emit(t, sep_a, sep_b, chunk_start, h, length, inner) < 0)
            return -1;
    }
    t->bounds[2 * t->n] = b;
    return 0;
}
#undef CHUNK_ADD
#undef NEWLINES_ADD

static int
split_text(Chunks *t, int cr)
{
    (void)cr;  /* ("\r" only mattered to the paragraph split chunks no longer make) */
    switch (t->kind) {
    case PyUnicode_1BYTE_KIND:
        return split_text_of_kind(t, PyUnicode_1BYTE_KIND);
    case PyUnicode_2BYTE_KIND:
        return split_text_of_kind(t, PyUnicode_2BYTE_KIND);
    default:
        return split_text_of_kind(t, PyUnicode_4BYTE_KIND);
    }
}

/* The first i < n where x[i] != y[i], or n: x and y of one kind. */
static Py_ssize_t
first_difference(int kind, const void *x, const void *y, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        while (i < n && ((const Py_UCS1 *)x)[i] == ((const Py_UCS1 *)y)[i])
            i++;
        break;
    case PyUnicode_2BYTE_KIND:
        while (i < n && ((const Py_UCS2 *)x)[i] == ((const Py_UCS2 *)y)[i])
            i++;
        break;
    default:
        while (i < n && ((const Py_UCS4 *)x)[i] == ((const Py_UCS4 *)y)[i])
            i++;
    }
    return i;
}

/* Whether chunk j of u and chunk k of v have the same folded key.  Equal
 * characters are skipped in runs; where the two differ, both must be in
 * a run of whitespace (a space in one, a line feed or two spaces in the
 * other) or the rest of one must be whitespace (it ends the key). */
static int
same_key(const Chunks *u, Py_ssize_t j, const Chunks *v, Py_ssize_t k)
{
    if (u->hashes[j] != v->hashes[k] || u->lengths[j] != v->lengths[k])
        return 0;
    int ka = u->kind, kb = v->kind;
    const void *da = u->data, *db = v->data;
    Py_ssize_t a = u->bounds[2 * j + 1], a_end = u->bounds[2 * j + 2];
    Py_ssize_t b = v->bounds[2 * k + 1], b_end = v->bounds[2 * k + 2];
#define SKIP_SPACE(i, end, kind, data) while (i < end && ISSPACE(PyUnicode_READ(kind, data, i))) i++
    SKIP_SPACE(a, a_end, ka, da);  /* leading whitespace is not in a key */
    SKIP_SPACE(b, b_end, kb, db);
    Py_ssize_t a_start = a;
    for (;;) {
        Py_ssize_t n = a_end - a < b_end - b ? a_end - a : b_end - b, d = 0;
        if (ka == kb)
            d = first_difference(ka, (const char *)da + a * ka, (const char *)db + b * kb, n);
        else
            while (d < n && PyUnicode_READ(ka, da, a + d) == PyUnicode_READ(kb, db, b + d))
                d++;
        a += d;
        b += d;
        if (a == a_end || b == b_end) {  /* what is left of the other must be whitespace */
            SKIP_SPACE(a, a_end, ka, da);
            SKIP_SPACE(b, b_end, kb, db);
            return a == a_end && b == b_end;
        }
        Py_UCS4 x = PyUnicode_READ(ka, da, a), y = PyUnicode_READ(kb, db, b);
        int in_run = a > a_start && ISSPACE(PyUnicode_READ(ka, da, a - 1));  /* the same character in both */
        if (!(ISSPACE(x) && ISSPACE(y)) && !(in_run && (ISSPACE(x) || ISSPACE(y))))
            return 0;
        SKIP_SPACE(a, a_end, ka, da);
        SKIP_SPACE(b, b_end, kb, db);
        if ((a == a_end) != (b == b_end))
            return 0;  /* one key goes on after the run, the other does not */
    }
#undef SKIP_SPACE
}

/* A key's code: one character per distinct key, in order of first
 * appearance, old text first, skipping NUL and surrogates (diff._encode).
 * A slot is 16 bytes: the key's hash, where it was first seen (text s,
 * chunk k as 2k + s + 1; 0: empty) and its code.  (Pointer and index in
 * full made it 32: a 16 MB one-line pair's table took 32 MB, the peak of
 * the chunk pass.) */
typedef struct {
    uint64_t hash;
    uint32_t seen;
    Py_UCS4 code;
} Slot;

static int
assign_codes(Chunks *texts[2])
{
    if (texts[0]->n >= 0x7FFFFFFF || texts[1]->n >= 0x7FFFFFFF) {
        PyErr_SetString(PyExc_ValueError, "more chunks than chunk_codes numbers");
        return -1;
    }
    size_t size = 1024;
    while (size < 2 * (size_t)(texts[0]->n + texts[1]->n))
        size *= 2;
    Slot *slots = PyMem_Calloc(size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_UCS4 next = 1;
    for (int s = 0; s < 2; s++) {
        Chunks *t = texts[s];
        t->codes = PyMem_New(Py_UCS4, t->n ? t->n : 1);
        if (t->codes == NULL) {
            PyMem_Free(slots);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t k = 0; k < t->n; k++) {
            size_t at = (size_t)(t->hashes[k] ^ (t->hashes[k] >> 32)) & (size - 1);
            /* Equal hashes are checked character by character: two keys
             * share a code only when they are equal. */
            while (slots[at].seen != 0 &&
                   (slots[at].hash != t->hashes[k] ||
                    !same_key(texts[(slots[at].seen - 1) & 1], (Py_ssize_t)((slots[at].seen - 1) >> 1), t, k)))
                at = (at + 1) & (size - 1);
            if (slots[at].seen == 0) {
                if (next > 0x10FFFF) {
                    PyMem_Free(slots);
                    PyErr_SetString(PyExc_ValueError, "more distinct keys than Unicode has characters");
                    return -1;
                }
                slots[at] = (Slot){t->hashes[k], (uint32_t)(2 * k + s + 1), next};
                next = next == 0xD7FF ? 0xE000 : next + 1;
            }
            t->codes[k] = slots[at].code;
        }
    }
    PyMem_Free(slots);
    return 0;
}

/* array("q") of n integers: offsets and counts handed to Python at 8
 * bytes each (a list would hold a 32-byte int object for each, and those
 * stay in Python's small-object arenas long after they are freed). */
static PyObject *
int64_array(const Py_ssize_t *v, Py_ssize_t n)
{
    static PyObject *array_type = NULL;
    if (array_type == NULL) {
        PyObject *module = PyImport_ImportModule("array");
        if (module == NULL)
            return NULL;
        array_type = PyObject_GetAttrString(module, "array");
        Py_DECREF(module);
        if (array_type == NULL)
            return NULL;
    }
    PyObject *out = PyObject_CallFunction(array_type, "s", "q"), *view = NULL, *done = NULL;
    int64_t *copy = NULL;
    if (out == NULL || n == 0)
        return out;
    const char *bytes = (const char *)v;
    if (sizeof(Py_ssize_t) != sizeof(int64_t)) {
        copy = PyMem_New(int64_t, n);
        if (copy == NULL) {
            Py_DECREF(out);
            return PyErr_NoMemory();
        }
        for (Py_ssize_t i = 0; i < n; i++)
            copy[i] = v[i];
        bytes = (const char *)copy;
    }
    view = PyMemoryView_FromMemory((char *)bytes, n * (Py_ssize_t)sizeof(int64_t), PyBUF_READ);
    if (view != NULL)
        done = PyObject_CallMethod(out, "frombytes", "O", view);
    Py_XDECREF(view);
    PyMem_Free(copy);
    if (done == NULL)
        Py_CLEAR(out);
    Py_XDECREF(done);
    return out;
}

/* (bounds, codes, lengths, kinds) of one text, as Python objects: bounds
 * and lengths as array("q"). */
static PyObject *
chunks_as_tuple(const Chunks *t)
{
    PyObject *bounds = int64_array(t->bounds, 2 * t->n + 1), *lengths = NULL, *codes = NULL, *kinds = NULL;
    if (bounds == NULL || (lengths = int64_array(t->lengths, t->n)) == NULL)
        goto fail;
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t k = 0; k < t->n; k++)
        if (t->codes[k] > maxchar)
            maxchar = t->codes[k];
    codes = PyUnicode_New(t->n, maxchar);
    if (codes == NULL)
        goto fail;
    int kind = PyUnicode_KIND(codes);
    void *data = PyUnicode_DATA(codes);
    for (Py_ssize_t k = 0; k < t->n; k++)
        PyUnicode_WRITE(kind, data, k, t->codes[k]);
    kinds = PyBytes_FromStringAndSize((const char *)t->kinds, t->n);
    if (kinds == NULL)
        goto fail;
    return Py_BuildValue("(NNNN)", bounds, codes, lengths, kinds);
fail:
    Py_XDECREF(bounds);
    Py_XDECREF(lengths);
    Py_XDECREF(codes);
    Py_XDECREF(kinds);
    return NULL;
}

/* Texts at least this long (characters, each) are cut into chunks at the
 * same time, the new one in a second thread: the work of one text touches
 * no Python object. */
#define PARALLEL_MIN_CHARS (256 * 1024)

typedef struct {
    Chunks *chunks;
    int cr, status;
    PyThread_type_lock done;  /* held until the thread has finished */
} Job;

static void
split_text_job(void *arg)
{
    Job *job = arg;
    job->status = split_text(job->chunks, job->cr);
    PyThread_release_lock(job->done);
}

/* split_text of both texts, the new one in a second thread when both are
 * long; -1 with an exception when out of memory. */
static int
split_texts(Chunks *old, int old_cr, Chunks *new, int new_cr)
{
    int old_status, new_status = 0, in_thread = 0;
    Job job = {new, new_cr, 0, NULL};
    if (PyUnicode_GET_LENGTH(old->text) >= PARALLEL_MIN_CHARS && PyUnicode_GET_LENGTH(new->text) >= PARALLEL_MIN_CHARS &&
        (job.done = PyThread_allocate_lock()) != NULL) {
        PyThread_acquire_lock(job.done, WAIT_LOCK);
        in_thread = PyThread_start_new_thread(split_text_job, &job) != PYTHREAD_INVALID_THREAD_ID;
        if (!in_thread)
            PyThread_release_lock(job.done);
    }
    Py_BEGIN_ALLOW_THREADS
    old_status = split_text(old, old_cr);
    if (in_thread) {
        PyThread_acquire_lock(job.done, WAIT_LOCK);  /* the thread has finished */
        PyThread_release_lock(job.done);
        new_status = job.status;
    }
    else if (old_status == 0)
        new_status = split_text(new, new_cr);
    Py_END_ALLOW_THREADS
    if (job.done != NULL)
        PyThread_free_lock(job.done);
    if (old_status < 0 || new_status < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* tokens.chunk_codes(old, new), given whether each text has a CR. */
static PyObject *
chunk_codes(PyObject *self, PyObject *args)
{
    Chunks old = {0}, new = {0};
    Chunks *texts[2] = {&old, &new};
    int old_cr, new_cr;
    if (!PyArg_ParseTuple(args, "UpUp:chunk_codes", &old.text, &old_cr, &new.text, &new_cr))
        return NULL;
    PyObject *result = NULL;
    for (int s = 0; s < 2; s++) {
        texts[s]->kind = PyUnicode_KIND(texts[s]->text);
        texts[s]->data = PyUnicode_DATA(texts[s]->text);
    }
    if (split_texts(&old, old_cr, &new, new_cr) == 0 && assign_codes(texts) == 0) {
        PyObject *a = chunks_as_tuple(&old), *b = a ? chunks_as_tuple(&new) : NULL;
        if (b != NULL)
            result = PyTuple_Pack(2, a, b);
        Py_XDECREF(a);
        Py_XDECREF(b);
    }
    chunks_free(&old);
    chunks_free(&new);
    return result;
}

static int
is_joiner(Py_UCS4 c)  /* ['\u2019] and tokens.INVISIBLE */
{
    return c == '\'' || c == 0x2019 || c == 0x00ad || c == 0x200b || c == 0x200c || c == 0x200d ||
           c == 0x2060 || c == 0xfeff;
}

/* The full patterns' character classes (tokens._script_bitmaps): one bit
 * per code point, low bit first, for the combining marks (tokens.MARKS) and
 * then for the scripts written without spaces (tokens.NO_SPACE_SCRIPTS).
 * NULL maps: a plain text (tokens.is_plain), which has neither, so that
 * both rules below are the plain patterns' (\w+ for a word). */
#define SCRIPT_MAP_BYTES (0x110000 / 8)
typedef struct {
    const unsigned char *marks, *spaceless;
} Scripts;

static const Scripts PLAIN_TEXT = {NULL, NULL};

#define IN_MAP(map, c) (((map)[(c) >> 3] >> ((c) & 7)) & 1)

/* A character of a script written without spaces: a token of its own. */
static inline int
is_spaceless(const Scripts *s, Py_UCS4 c)
{
    return c >= 0x0e00 && s->spaceless != NULL && IN_MAP(s->spaceless, c);
}

/* A word's first character: \w, not of those scripts (tokens._WORD_CHAR). */
static inline int
starts_word(const Scripts *s, Py_UCS4 c)
{
    return ISWORD(c) && !is_spaceless(s, c);
}

/* A character a word goes on with: one that starts a word, or a combining mark. */
static inline int
goes_on_word(const Scripts *s, Py_UCS4 c)
{
    return starts_word(s, c) || (c >= 0x0300 && s->marks != NULL && IN_MAP(s->marks, c));
}

/* Where the word that starts at i (starts_word) ends, no further than n:
 * tokens._WORD, (?:W+M*)+ (?:['\u2019<invisible>] (?:W+M*)+)*, which is
 * W [WM]* (J W [WM]*)*. */
static inline Py_ssize_t
scanned_word_end(const Scripts *s, int kind, const void *data, Py_ssize_t i, Py_ssize_t n)
{
    Py_ssize_t end = i + 1;
    for (;;) {
        while (end < n && goes_on_word(s, PyUnicode_READ(kind, data, end)))
            end++;
        if (end + 1 < n && is_joiner(PyUnicode_READ(kind, data, end)) && starts_word(s, PyUnicode_READ(kind, data, end + 1)))
            end++;  /* an inner apostrophe: the word goes on */
        else
            return end;
    }
}

/* len(re.findall(word pattern, text[a:b])): with scripts, the full one
 * ([<no-space scripts>]|_WORD: each character of those scripts is a word),
 * without, _PLAIN_WORD_RE. */
static Py_ssize_t
words_in(const Scripts *s, int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t count = 0, i = a;
    while (i < b) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (is_spaceless(s, c)) {
            count++;
            i++;
        }
        else if (starts_word(s, c)) {
            count++;
            i = scanned_word_end(s, kind, data, i, b);
        }
        else
            i++;
    }
    return count;
}

/* The maps of an optional `scripts` argument (None: a plain text), or -1
 * with an exception.  The buffer stays held until released. */
static int
scripts_of(PyObject *arg, Py_buffer *view, Scripts *s)
{
    *s = PLAIN_TEXT;
    view->obj = NULL;
    if (arg == NULL || arg == Py_None)
        return 0;
    if (PyObject_GetBuffer(arg, view, PyBUF_SIMPLE) < 0)
        return -1;
    if (view->len != 2 * SCRIPT_MAP_BYTES) {
        PyBuffer_Release(view);
        view->obj = NULL;
        PyErr_SetString(PyExc_ValueError, "scripts: two bitmaps of 0x110000 bits each expected (tokens._script_bitmaps)");
        return -1;
    }
    s->marks = view->buf;
    s->spaceless = s->marks + SCRIPT_MAP_BYTES;
    return 0;
}

static void
scripts_release(Py_buffer *view)
{
    if (view->obj != NULL)
        PyBuffer_Release(view);
}

/* Spans at least this long (characters, all together) are counted without
 * the GIL, so that another thread can go on meanwhile. */
#define COUNT_NOGIL_MIN_CHARS (64 * 1024)

static PyObject *
count_words(PyObject *self, PyObject *args)
{
    PyObject *text, *spans, *scripts_arg = NULL;
    if (!PyArg_ParseTuple(args, "UO|O:count_words", &text, &spans, &scripts_arg))
        return NULL;
    Py_buffer maps;
    Scripts scripts;
    if (scripts_of(scripts_arg, &maps, &scripts) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), total = 0, chars = 0, count = 0;
    PyObject *seq = PySequence_Fast(spans, "count_words: spans must be a sequence of (start, end)");
    if (seq == NULL) {
        scripts_release(&maps);
        return NULL;
    }
    Py_ssize_t (*at)[2] = PyMem_Malloc((PySequence_Fast_GET_SIZE(seq) + 1) * sizeof(*at));
    if (at == NULL) {
        Py_DECREF(seq);
        scripts_release(&maps);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        Py_ssize_t a, b;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "nn", &a, &b)) {
            Py_DECREF(seq);
            PyMem_Free(at);
            scripts_release(&maps);
            return NULL;
        }
        /* as slicing does */
        if (a < 0) a = 0;
        if (b > n) b = n;
        if (a < b) {
            at[count][0] = a;
            at[count++][1] = b;
            chars += b - a;
        }
    }
    Py_DECREF(seq);
    if (chars >= COUNT_NOGIL_MIN_CHARS) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t k = 0; k < count; k++)
            total += words_in(&scripts, kind, data, at[k][0], at[k][1]);
        Py_END_ALLOW_THREADS
    }
    else
        for (Py_ssize_t k = 0; k < count; k++)
            total += words_in(&scripts, kind, data, at[k][0], at[k][1]);
    PyMem_Free(at);
    scripts_release(&maps);
    return PyLong_FromSsize_t(total);
}

static int
is_dash(Py_UCS4 c)  /* tokens._DASHES */
{
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xfe58 || c == 0xfe63 || c == 0xff0d;
}

static int
is_invisible(Py_UCS4 c)  /* tokens.SOFT_HYPHEN: the only invisible character in gaps */
{
    return c == 0x00ad;
}

/* Where the token that starts at i (not whitespace, not invisible) ends, no
 * further than n.  A token is a character of a script written without
 * spaces, a word (starts_word, scanned_word_end), a dash run, "..", "...", an
 * ellipsis or any other character but whitespace and invisible ones, which
 * make up the gaps (tokens._TOKEN_PATTERN; without scripts,
 * _PLAIN_TOKEN_RE). */
static Py_ssize_t
token_end(const Scripts *s, int kind, const void *data, Py_ssize_t i, Py_ssize_t n)
{
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    Py_ssize_t end = i + 1;
    if (is_spaceless(s, c))
        return end;
    if (starts_word(s, c))
        return scanned_word_end(s, kind, data, i, n);
    if (is_dash(c)) {
        while (end < n && is_dash(PyUnicode_READ(kind, data, end)))
            end++;
    }
    else if (c == '.') {
        while (end < n && PyUnicode_READ(kind, data, end) == '.')
            end++;
    }
    return end;
}

#define IS_GAP(c) (ISSPACE(c) || is_invisible(c))

/* The token pattern's split of text, [gap, token, gap, token, ..., tail]:
 * with scripts (tokens._script_bitmaps) the full one's (tokens._TOKEN_PATTERN),
 * without, _PLAIN_TOKEN_RE's. */
static PyObject *
split_tokens(PyObject *self, PyObject *args)
{
    PyObject *text, *scripts_arg = NULL;
    if (!PyArg_ParseTuple(args, "U|O:split_tokens", &text, &scripts_arg))
        return NULL;
    Py_buffer maps;
    Scripts scripts;
    if (scripts_of(scripts_arg, &maps, &scripts) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), gap = 0, i = 0;
    PyObject *pieces = PyList_New(0);
    if (pieces == NULL)
        goto done;
    while (i < n) {
        if (IS_GAP(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t end = token_end(&scripts, kind, data, i, n);
        if (append_substring(pieces, text, gap, i) < 0 || append_substring(pieces, text, i, end) < 0) {
            Py_CLEAR(pieces);
            goto done;
        }
        gap = i = end;
    }
    if (append_substring(pieces, text, gap, n) < 0)
        Py_CLEAR(pieces);
done:
    scripts_release(&maps);
    return pieces;
}

/* Offsets and counts, 4 or 8 bytes each, written straight into a bytes
 * object (for array("i") or array("q"): a list would hold an int object for
 * each), grown by doubling (realloc: the untouched end is never resident)
 * and cut to size at the end, so it is handed to Python with no copy. */
typedef struct {
    PyObject *bytes;  /* NULL until the first push */
    Py_ssize_t n, cap;
    int width;  /* 4 or 8 (1: flags; 2: codes, until one needs 4) */
} Ints;

static int
ints_push(Ints *v, int64_t x)
{
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 1024;
        if (v->bytes == NULL)
            v->bytes = PyBytes_FromStringAndSize(NULL, cap * v->width);
        else
            _PyBytes_Resize(&v->bytes, cap * v->width);  /* (lets go of it on failure) */
        if (v->bytes == NULL)
            return -1;
        v->cap = cap;
    }
    char *at = PyBytes_AS_STRING(v->bytes);
    if (v->width == 4)
        ((int32_t *)at)[v->n++] = (int32_t)x;
    else if (v->width == 8)
        ((int64_t *)at)[v->n++] = x;
    else if (v->width == 2)
        ((uint16_t *)at)[v->n++] = (uint16_t)x;
    else
        ((uint8_t *)at)[v->n++] = (uint8_t)x;
    return 0;
}

/* The bytes, cut to size (a new reference: v lets go of them). */
static PyObject *
ints_bytes(Ints *v)
{
    if (v->bytes == NULL)
        return PyBytes_FromStringAndSize(NULL, 0);
    if (_PyBytes_Resize(&v->bytes, v->n * v->width) < 0)
        return NULL;
    PyObject *out = v->bytes;
    v->bytes = NULL;
    return out;
}

/* The code point of place k of a vocabulary (codes.encode_keys' codes:
 * NUL and the surrogates skipped), or 0 when codes have run out. */
static Py_UCS4
code_of_index(Py_ssize_t k)
{
    if (k < 0xD7FF)
        return (Py_UCS4)(k + 1);
    return k + 0x801 <= 0x10FFFF ? (Py_UCS4)(k + 0x801) : 0;
}

/* codes.code_index: the place in its vocabulary of code c, or -1 for a
 * character that is no code (NUL, a surrogate). */
static Py_ssize_t
index_of_code(Py_UCS4 c)
{
    if (c == 0 || (c >= 0xD800 && c < 0xE000))
        return -1;
    return c < 0xD800 ? (Py_ssize_t)c - 1 : (Py_ssize_t)c - 0x801;
}

/* A code pushed on v, a buffer of 2-byte codes widened to 4 bytes each by
 * the first code past 0xFFFF (most texts never have that many distinct
 * tokens: half the memory of 4 bytes a token throughout). */
static int
codes_push(Ints *v, Py_UCS4 code)
{
    if (code > 0xFFFF && v->width == 2) {
        Py_ssize_t cap = v->cap ? v->cap : 1024;
        PyObject *wide = PyBytes_FromStringAndSize(NULL, cap * 4);
        if (wide == NULL)
            return -1;
        uint32_t *w = (uint32_t *)PyBytes_AS_STRING(wide);
        for (Py_ssize_t i = 0; i < v->n; i++)
            w[i] = ((const uint16_t *)PyBytes_AS_STRING(v->bytes))[i];
        Py_XDECREF(v->bytes);
        v->bytes = wide;
        v->cap = cap;
        v->width = 4;
    }
    return ints_push(v, code);
}

/* The codes as a str (of the narrowest kind, as every str must be). */
static PyObject *
codes_str(Ints *v)
{
    if (v->n == 0)
        return PyUnicode_New(0, 0);
    return PyUnicode_FromKindAndData(v->width == 2 ? PyUnicode_2BYTE_KIND : PyUnicode_4BYTE_KIND,
                                     PyBytes_AS_STRING(v->bytes), v->n);
}

/* A 64-bit hash folded to 32 bits (both halves kept in play). */
static uint64_t
fold32(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

/* One str object per distinct token text: a word met again is the same
 * object (no new string, and dict look-ups of it match by identity).
 * Hashes and places in 32 bits (16 bytes a slot, not 24: the table of a
 * 4 MB text's words is at its peak). */
typedef struct {
    PyObject **at;  /* NULL: an empty slot */
    uint32_t *hashes;
    int32_t *places;  /* each one's place in the caller's vocabulary (codes wanted) */
    size_t size, used;
} Interned;

static void
interned_free(Interned *t)
{
    for (size_t k = 0; k < t->size; k++)
        Py_XDECREF(t->at[k]);
    PyMem_Free(t->at);
    PyMem_Free(t->hashes);
    PyMem_Free(t->places);
}

static int
interned_grow(Interned *t)
{
    Interned bigger = {NULL, NULL, NULL, t->size ? 2 * t->size : 4096, t->used};
    bigger.at = PyMem_Calloc(bigger.size, sizeof(PyObject *));
    bigger.hashes = PyMem_New(uint32_t, bigger.size);
    bigger.places = PyMem_New(int32_t, bigger.size);
    if (bigger.at == NULL || bigger.hashes == NULL || bigger.places == NULL) {
        PyMem_Free(bigger.at);
        PyMem_Free(bigger.hashes);
        PyMem_Free(bigger.places);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < t->size; k++) {
        if (t->at[k] == NULL)
            continue;
        size_t at = t->hashes[k] & (bigger.size - 1);
        while (bigger.at[at] != NULL)
            at = (at + 1) & (bigger.size - 1);
        bigger.at[at] = t->at[k];
        bigger.hashes[at] = t->hashes[k];
        bigger.places[at] = t->places[k];
    }
    PyMem_Free(t->at);
    PyMem_Free(t->hashes);
    PyMem_Free(t->places);
    *t = bigger;
    return 0;
}

/* text[start:end] as a str, the same object for the same characters (a new
 * reference), or NULL with an exception.  Given a vocabulary (a list), a
 * new one is appended to it, and *place is where it is in it. */
static PyObject *
interned_token(Interned *t, PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
               PyObject *vocab, Py_ssize_t *place)
{
    if (2 * (t->used + 1) > t->size && interned_grow(t) < 0)
        return NULL;
    uint64_t wide = FNV_OFFSET;
    for (Py_ssize_t i = start; i < end; i++)
        wide = (wide ^ PyUnicode_READ(kind, data, i)) * FNV_PRIME;
    uint32_t h = (uint32_t)fold32(wide & hash_mask);
    size_t at = h & (t->size - 1);
    for (; t->at[at] != NULL; at = (at + 1) & (t->size - 1)) {
        PyObject *seen = t->at[at];
        if (t->hashes[at] != h || PyUnicode_GET_LENGTH(seen) != end - start)
            continue;
        int seen_kind = PyUnicode_KIND(seen);
        const void *seen_data = PyUnicode_DATA(seen);
        Py_ssize_t i = 0;
        while (i < end - start && PyUnicode_READ(seen_kind, seen_data, i) == PyUnicode_READ(kind, data, start + i))
            i++;
        if (i == end - start) {
            Py_INCREF(seen);
            *place = t->places[at];
            return seen;
        }
    }
    PyObject *token = PyUnicode_Substring(text, start, end);
    if (token == NULL)
        return NULL;
    *place = vocab != NULL ? PyList_GET_SIZE(vocab) : (Py_ssize_t)t->used;
    if (vocab != NULL && PyList_Append(vocab, token) < 0) {
        Py_DECREF(token);
        return NULL;
    }
    Py_INCREF(token);
    t->at[at] = token;
    t->hashes[at] = h;
    t->places[at] = (int32_t)*place;
    t->used++;
    return token;
}

/* The table seeded with a vocabulary's str, each at its place in it. */
static int
interned_seed(Interned *t, PyObject *vocab)
{
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(vocab); k++) {
        PyObject *item = PyList_GET_ITEM(vocab, k), *got;
        Py_ssize_t place;
        if (!PyUnicode_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "sparse_tokens: the vocabulary must hold str");
            return -1;
        }
        Py_INCREF(item);  /* (the list may change under a borrowed one) */
        got = interned_token(t, item, PyUnicode_KIND(item), PyUnicode_DATA(item), 0, PyUnicode_GET_LENGTH(item), NULL,
                             &place);
        Py_XDECREF(got);
        Py_DECREF(item);
        if (got == NULL)
            return -1;
        if (place != k) {
            PyErr_SetString(PyExc_ValueError, "sparse_tokens: the vocabulary holds a str twice");
            return -1;
        }
    }
    return 0;
}

/* An array.array ("i" or "q": `width` bytes a number) filled through a
 * block of numbers, appended to it with frombytes whenever it is full: the
 * array is made where it stays (bytes copied into an array at the end were
 * a third offset column at once, 2.6 MB at 4 MB). */
#define COLUMN_BLOCK 16384
typedef struct {
    PyObject *array;
    char *block;
    Py_ssize_t n, total;  /* numbers in the block; all numbers */
    int width;
} Column;

static int
column_flush(Column *c)
{
    if (c->n == 0)
        return 0;
    PyObject *view = PyMemoryView_FromMemory(c->block, c->n * c->width, PyBUF_READ);
    PyObject *done = view ? PyObject_CallMethod(c->array, "frombytes", "O", view) : NULL;
    Py_XDECREF(view);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    c->n = 0;
    return 0;
}

static int
column_open(Column *c, int width)
{
    c->width = width;
    c->n = c->total = 0;
    c->block = PyMem_Malloc(COLUMN_BLOCK * (size_t)width);
    PyObject *module = PyImport_ImportModule("array");
    c->array = module ? PyObject_CallMethod(module, "array", "s", width == 4 ? "i" : "q") : NULL;
    Py_XDECREF(module);
    if (c->block == NULL && c->array != NULL)
        PyErr_NoMemory();
    return c->block != NULL && c->array != NULL ? 0 : -1;
}

static int
column_push(Column *c, int64_t x)
{
    if (c->n == COLUMN_BLOCK && column_flush(c) < 0)
        return -1;
    if (c->width == 4)
        ((int32_t *)c->block)[c->n++] = (int32_t)x;
    else
        ((int64_t *)c->block)[c->n++] = x;
    c->total++;
    return 0;
}

/* The array, all of it (a new reference: c lets go of it), or NULL. */
static PyObject *
column_array(Column *c)
{
    if (column_flush(c) < 0)
        return NULL;
    PyObject *out = c->array;
    c->array = NULL;
    return out;
}

static void
column_free(Column *c)
{
    Py_CLEAR(c->array);
    PyMem_Free(c->block);
    c->block = NULL;
}

/* What sparse_tokens makes, one per field of tokens.Tokens. */
typedef struct {
    PyObject *literals, *placeholders;
    Column starts, ends;
    Ints word_prefix;
    Py_ssize_t words;
    Interned interned;
    PyObject *vocab;  /* given: literals as codes (into `codes`), new ones appended to it */
    Ints codes;
} Sparse;

/* A token: its literal (a new reference, or NULL with an exception) at
 * `place` in the vocabulary when codes are made. */
static int
append_token(Sparse *out, Py_ssize_t start, Py_ssize_t end, PyObject *literal, Py_ssize_t place, int is_word)
{
    if (literal == NULL)
        return -1;
    if (out->vocab != NULL) {
        Py_DECREF(literal);  /* (the vocabulary holds it) */
        Py_UCS4 code = code_of_index(place);
        if (code == 0) {
            PyErr_SetString(PyExc_ValueError, "more distinct keys than Unicode has characters");
            return -1;
        }
        if (codes_push(&out->codes, code) < 0)
            return -1;
    }
    else if (append_new(out->literals, literal) < 0)
        return -1;
    if (column_push(&out->starts, start) < 0 || column_push(&out->ends, end) < 0)
        return -1;
    if (out->vocab != NULL)
        return 0;  /* (a Coder counts words from its codes' flags: no prefix, 4 bytes a token) */
    out->words += is_word;
    return ints_push(&out->word_prefix, out->words);
}

/* diff._sparse_tokens: the stretches of plan with run None cut into tokens
 * (by the plain patterns' rules, or given scripts the full ones': see
 * token_end), each unchanged run one token
 * "\0<run>" spanning it.  Returns (literals, starts, ends, placeholders,
 * word_prefix): placeholders the set of the runs' token indices (starts
 * and ends give each run); word_prefix[i] counts the word tokens before
 * token i (tokens.Tokens.word_prefix); starts and ends as arrays of
 * `width`-byte integers ("q", or "i" for width 4: tokens.offset_array's),
 * word_prefix as the bytes of such integers.
 * No gaps: tokens.Gaps derives them from the text and the offsets.
 * Given a vocabulary (a list of distinct str), literals come as a str of
 * codes instead, code_of_index of each one's place in it, new ones (the
 * runs' tokens too) appended to it (diff.chunks._sparse_codes_py): no list
 * of 8 bytes a token; and word_prefix is None (the codes' word flags count
 * words). */
static PyObject *
sparse_tokens(PyObject *self, PyObject *args)
{
    PyObject *text, *plan, *vocab = Py_None, *scripts_arg = NULL;
    int width = 8;
    if (!PyArg_ParseTuple(args, "UO|iOO:sparse_tokens", &text, &plan, &width, &vocab, &scripts_arg))
        return NULL;
    if (vocab != Py_None && !PyList_Check(vocab)) {
        PyErr_SetString(PyExc_TypeError, "sparse_tokens: the vocabulary must be a list");
        return NULL;
    }
    if (width != 8 && (width != 4 || PyUnicode_GET_LENGTH(text) > INT32_MAX)) {
        PyErr_SetString(PyExc_ValueError, "sparse_tokens: width 8, or 4 for a text of under 2**31 characters");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), planned = 0;  /* planned: end of the last stretch */
    Py_buffer maps;
    Scripts scripts;
    if (scripts_of(scripts_arg, &maps, &scripts) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(plan, "sparse_tokens: plan must be a sequence of (start, end, run)");
    if (seq == NULL) {
        scripts_release(&maps);
        return NULL;
    }
    Sparse out = {PyList_New(0), PySet_New(NULL), {NULL, NULL, 0, 0, width}, {NULL, NULL, 0, 0, width},
                  {NULL, 0, 0, width}, 0, {NULL, NULL, NULL, 0, 0}, vocab == Py_None ? NULL : vocab, {NULL, 0, 0, 2}};
    PyObject *result = NULL;
    Py_ssize_t place;
    if (out.literals == NULL || out.placeholders == NULL || column_open(&out.starts, width) < 0 ||
        column_open(&out.ends, width) < 0 || (out.vocab == NULL && ints_push(&out.word_prefix, 0) < 0))
        goto done;
    if (out.vocab != NULL && interned_seed(&out.interned, out.vocab) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        Py_ssize_t start, end;
        PyObject *run;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "nnO", &start, &end, &run))
            goto done;
        if (start < planned || end < start || end > length) {
            PyErr_SetString(PyExc_ValueError, "sparse_tokens: plan out of order or out of range");
            goto done;
        }
        planned = end;
        if (run != Py_None) {  /* an unchanged run: one token */
            Py_ssize_t n = PyLong_AsSsize_t(run);
            if (n == -1 && PyErr_Occurred())
                goto done;
            PyObject *index = PyLong_FromSsize_t(out.starts.total);
            int r = index ? PySet_Add(out.placeholders, index) : -1;
            Py_XDECREF(index);
            PyObject *marker = r < 0 ? NULL : PyUnicode_FromFormat("%c%zd", 0, n), *literal = marker;
            if (marker != NULL && out.vocab != NULL) {  /* the same run's token in either text: one code */
                literal = interned_token(&out.interned, marker, PyUnicode_KIND(marker), PyUnicode_DATA(marker), 0,
                                         PyUnicode_GET_LENGTH(marker), out.vocab, &place);
                Py_DECREF(marker);
            }
            if (append_token(&out, start, end, literal, place, 0) < 0)
                goto done;
            continue;
        }
        Py_ssize_t i = start;
        while (i < end) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (IS_GAP(c)) {
                i++;
                continue;
            }
            Py_ssize_t token_end_at = token_end(&scripts, kind, data, i, end);
            PyObject *literal = interned_token(&out.interned, text, kind, data, i, token_end_at, out.vocab, &place);
            if (append_token(&out, i, token_end_at, literal, place, ISWORD(c) != 0) < 0)  /* tokens.is_word */
                goto done;
            i = token_end_at;
        }
    }
    result = Py_BuildValue("(NNNON)", out.vocab != NULL ? codes_str(&out.codes) : (Py_INCREF(out.literals), out.literals),
                           column_array(&out.starts), column_array(&out.ends), out.placeholders,
                           out.vocab != NULL ? Py_NewRef(Py_None) : ints_bytes(&out.word_prefix));
done:
    Py_DECREF(seq);
    Py_XDECREF(out.literals);
    Py_XDECREF(out.placeholders);
    column_free(&out.starts);
    column_free(&out.ends);
    Py_XDECREF(out.word_prefix.bytes);
    Py_XDECREF(out.codes.bytes);
    interned_free(&out.interned);
    scripts_release(&maps);
    return result;
}

/* diff.growth._unchanged_spans: the unchanged runs of chunks grown over the words
 * changed chunks share with their counterparts.  One text's side of it: */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t *bounds;  /* tokens.chunk_codes' bounds */
    const char *kinds;   /* and separator kinds */
    Py_ssize_t chunks;
    Py_UCS4 *key;        /* room for one chunk's folded key */
    PyObject *tables;    /* folding.word_tables: chunk -> (folded key, (start, end) of each word as int64), or NULL */
} SpanSide;

/* Chunk k's word table entry (borrowed), or NULL if it has none (its words
 * are its whitespace-separated ones).  An entry's offsets are None where
 * its folded words are the whitespace-separated ones one for one: then
 * only its key is read (fold_chunk), and words_at gives NULL. */
static PyObject *
table_of(SpanSide *side, Py_ssize_t k)
{
    if (side->tables == NULL || PyDict_GET_SIZE(side->tables) == 0)
        return NULL;
    PyObject *index = PyLong_FromSsize_t(k);
    if (index == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *entry = PyDict_GetItem(side->tables, index);
    Py_DECREF(index);
    return entry;
}

/* A table entry's words' offsets and how many words. */
static const int64_t *
table_spans(PyObject *entry, Py_ssize_t *words)
{
    PyObject *spans = PyTuple_GET_ITEM(entry, 1);
    *words = PyBytes_GET_SIZE(spans) / (Py_ssize_t)(2 * sizeof(int64_t));
    return (const int64_t *)PyBytes_AS_STRING(spans);
}

/* Chunk k's word table entry if it gives the words' offsets, else NULL. */
static PyObject *
words_at(SpanSide *side, Py_ssize_t k)
{
    PyObject *entry = table_of(side, k);
    return entry != NULL && PyTuple_GET_ITEM(entry, 1) != Py_None ? entry : NULL;
}

#define CHUNK_START(side, k) ((side)->bounds[2 * (k) + 1])
#define CHUNK_END(side, k) ((side)->bounds[2 * (k) + 2])

/* Chunk k with its whitespace folded (" ".join(chunk.split())) into
 * side->key; its length. */
static Py_ssize_t
fold_chunk(SpanSide *side, Py_ssize_t k)
{
    PyObject *entry = table_of(side, k);
    if (entry != NULL) {  /* its folded words (the buffer has room: checked in span_side) */
        PyObject *folded = PyTuple_GET_ITEM(entry, 0);
        Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
        int fk = PyUnicode_KIND(folded);
        const void *fd = PyUnicode_DATA(folded);
        for (Py_ssize_t i = 0; i < n; i++)
            side->key[i] = PyUnicode_READ(fk, fd, i);
        return n;
    }
    /* (side's fields in locals: a store to key could otherwise be its kind,
     * read again for every character) */
    const int kind = side->kind;
    const void *data = side->data;
    Py_UCS4 *key = side->key;
    Py_ssize_t n = 0, end = CHUNK_END(side, k);
    int pending = 0;
    for (Py_ssize_t i = CHUNK_START(side, k); i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ISSPACE(c)) {
            pending = n > 0;
            continue;
        }
        if (pending) {
            key[n++] = ' ';
            pending = 0;
        }
        key[n++] = c;
    }
    return n;
}

/* diff._shared_words on a[:la] and b[:lb] read forwards (dir 1) or
 * backwards from their ends (dir -1); sets *end to where the shared words
 * end (in characters from the start of the reading), or -1. */
static Py_ssize_t
shared_words(const Py_UCS4 *a, Py_ssize_t la, const Py_UCS4 *b, Py_ssize_t lb, int dir, Py_ssize_t *end)
{
#define A(i) a[dir > 0 ? (i) : la - 1 - (i)]
#define B(i) b[dir > 0 ? (i) : lb - 1 - (i)]
    Py_ssize_t p = 0, m = la < lb ? la : lb, e, words = 0;
    while (p < m && A(p) == B(p))
        p++;
    if ((p == la || A(p) == ' ') && (p == lb || B(p) == ' '))
        e = p;  /* a word ends there in both */
    else {
        e = p - 1;
        while (e >= 0 && A(e) != ' ')
            e--;
    }
    *end = e;
    if (e <= 0)
        return 0;
    for (Py_ssize_t i = 0; i < e; i++)
        words += A(i) == ' ';
#undef A
#undef B
    return words + 1;
}

/* diff._shared_ends_py of the keys of chunk i of old and chunk j of new:
 * words shared at the start, then at the end of the rest. */
static void
shared_ends(SpanSide *old, Py_ssize_t i, SpanSide *new, Py_ssize_t j, Py_ssize_t *head, Py_ssize_t *tail)
{
    Py_ssize_t la = fold_chunk(old, i), lb = fold_chunk(new, j), end, tail_end;
    *head = shared_words(old->key, la, new->key, lb, 1, &end);
    Py_ssize_t skip = *head ? end + 1 : 0;  /* the rest: after the space that follows the shared words */
    Py_ssize_t skip_a = skip > la ? la : skip, skip_b = skip > lb ? lb : skip;
    *tail = shared_words(old->key + skip_a, la - skip_a, new->key + skip_b, lb - skip_b, -1, &tail_end);
}

/* Offset in the text just past the n-th whitespace-separated word of chunk
 * k (or its last word, if fewer; its start if none or n is 0): diff._word_end. */
static Py_ssize_t
word_end(SpanSide *side, Py_ssize_t k, Py_ssize_t n)
{
    PyObject *entry = words_at(side, k);
    if (entry != NULL) {
        Py_ssize_t words;
        const int64_t *spans = table_spans(entry, &words);
        return n && words ? (Py_ssize_t)spans[2 * (n < words ? n : words) - 1] : CHUNK_START(side, k);
    }
    Py_ssize_t i = CHUNK_START(side, k), end = CHUNK_END(side, k), last = i, count = 0;
    while (count < n) {
        while (i < end && ISSPACE(PyUnicode_READ(side->kind, side->data, i)))
            i++;
        if (i == end)
            break;
        while (i < end && !ISSPACE(PyUnicode_READ(side->kind, side->data, i)))
            i++;
        last = i;
        count++;
    }
    return last;
}

/* Offset in the text of the first of the last n words of chunk k (of its
 * first word, if fewer; its end if none or n is 0): diff._last_words_start. */
static Py_ssize_t
last_words_start(SpanSide *side, Py_ssize_t k, Py_ssize_t n)
{
    PyObject *entry = words_at(side, k);
    if (entry != NULL) {
        Py_ssize_t words;
        const int64_t *spans = table_spans(entry, &words);
        return n && words ? (Py_ssize_t)spans[2 * (words - (n < words ? n : words))] : CHUNK_END(side, k);
    }
    Py_ssize_t start = CHUNK_START(side, k), i = CHUNK_END(side, k), first = i, count = 0;
    while (count < n) {
        while (i > start && ISSPACE(PyUnicode_READ(side->kind, side->data, i - 1)))
            i--;
        if (i == start)
            break;
        while (i > start && !ISSPACE(PyUnicode_READ(side->kind, side->data, i - 1)))
            i--;
        first = i;
        count++;
    }
    return first;
}

/* How many whitespace-separated words chunk k has: diff._chunk_words. */
static Py_ssize_t
chunk_words(SpanSide *side, Py_ssize_t k)
{
    PyObject *entry = words_at(side, k);
    Py_ssize_t words = 0;
    if (entry != NULL) {
        table_spans(entry, &words);
        return words;
    }
    int in_word = 0;
    for (Py_ssize_t i = CHUNK_START(side, k); i < CHUNK_END(side, k); i++) {
        int space = ISSPACE(PyUnicode_READ(side->kind, side->data, i)) != 0;
        words += !in_word && !space;
        in_word = !space;
    }
    return words;
}

typedef struct {
    Py_ssize_t (*at)[4];  /* old_start, old_end, new_start, new_end */
    Py_ssize_t n, cap;
} Spans;

static int
spans_push(Spans *spans, const Py_ssize_t span[4])
{
    if (spans->n == spans->cap) {
        Py_ssize_t cap = spans->cap ? 2 * spans->cap : 256;
        void *at = PyMem_Realloc(spans->at, cap * sizeof(*spans->at));
        if (at == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        spans->at = at;
        spans->cap = cap;
    }
    memcpy(spans->at[spans->n++], span, 4 * sizeof(Py_ssize_t));
    return 0;
}

static int
follows(const Py_ssize_t span[4], const Spans *spans)  /* diff._follows */
{
    return spans->n == 0 || (span[0] >= spans->at[spans->n - 1][1] && span[2] >= spans->at[spans->n - 1][3]);
}

/* diff._span_across: the span of the `tail` words ending chunk pair
 * (ia, ja) and the `head` words starting pair (ib, jb), less margin words
 * at each end; 0 if nothing is left. */
static int
span_across(SpanSide *old, SpanSide *new, Py_ssize_t ia, Py_ssize_t ja, Py_ssize_t ib, Py_ssize_t jb,
            Py_ssize_t tail, Py_ssize_t head, Py_ssize_t margin, Py_ssize_t span[4])
{
    Py_ssize_t total = tail + head, first = margin, last = total - margin;
    if (total <= 2 * margin)
        return 0;
    SpanSide *sides[2] = {old, new};
    Py_ssize_t as[2] = {ia, ja}, bs[2] = {ib, jb};
    for (int s = 0; s < 2; s++) {
        SpanSide *side = sides[s];
        Py_ssize_t a = as[s], b = bs[s];
        span[2 * s] = first < tail ? last_words_start(side, a, tail - first)
                                   : last_words_start(side, b, chunk_words(side, b) - (first - tail));
        span[2 * s + 1] = last <= tail ? word_end(side, a, chunk_words(side, a) - (tail - last))
                                       : word_end(side, b, last - tail);
    }
    return 1;
}

/* Read a side's arguments: text, bounds (an array("q")) and kinds (bytes). */
static int
span_side(SpanSide *side, PyObject *text, PyObject *bounds, PyObject *kinds, PyObject *tables)
{
    Py_buffer view;
    if (PyObject_GetBuffer(bounds, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view.itemsize != sizeof(int64_t) || view.format == NULL || strcmp(view.format, "q") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "unchanged_spans: bounds must be an array('q')");
        return -1;
    }
    const int64_t *given = view.buf;
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(int64_t), longest = 0;
    if (n % 2 != 1 || PyBytes_GET_SIZE(kinds) != n / 2) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "unchanged_spans: bounds and kinds do not match");
        return -1;
    }
    side->kind = PyUnicode_KIND(text);
    side->data = PyUnicode_DATA(text);
    side->kinds = PyBytes_AS_STRING(kinds);
    side->chunks = n / 2;
    side->bounds = PyMem_New(Py_ssize_t, n);
    if (side->bounds == NULL) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        side->bounds[i] = (Py_ssize_t)given[i];
    PyBuffer_Release(&view);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (side->bounds[i] < (i ? side->bounds[i - 1] : 0) || side->bounds[i] > PyUnicode_GET_LENGTH(text)) {
            PyErr_SetString(PyExc_ValueError, "unchanged_spans: bounds out of order or out of range");
            return -1;
        }
        if (i % 2 == 0 && i && side->bounds[i] - side->bounds[i - 1] > longest)
            longest = side->bounds[i] - side->bounds[i - 1];
    }
    if (tables != NULL && tables != Py_None) {
        if (!PyDict_Check(tables)) {
            PyErr_SetString(PyExc_TypeError, "unchanged_spans: word tables must be a dict");
            return -1;
        }
        Py_ssize_t pos = 0;
        PyObject *index, *entry;
        while (PyDict_Next(tables, &pos, &index, &entry)) {
            Py_ssize_t k = PyLong_Check(index) ? PyLong_AsSsize_t(index) : -1;
            if (k < 0 || k >= side->chunks || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2 ||
                    !PyUnicode_Check(PyTuple_GET_ITEM(entry, 0)) ||
                    (PyTuple_GET_ITEM(entry, 1) != Py_None && (!PyBytes_Check(PyTuple_GET_ITEM(entry, 1)) ||
                     PyBytes_GET_SIZE(PyTuple_GET_ITEM(entry, 1)) % (Py_ssize_t)(2 * sizeof(int64_t))))) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError,
                                "unchanged_spans: a word table entry is not chunk -> (str, bytes or None)");
                return -1;
            }
            Py_ssize_t words = 0;
            const int64_t *spans = PyTuple_GET_ITEM(entry, 1) == Py_None ? NULL : table_spans(entry, &words);
            for (Py_ssize_t w = 0; w < 2 * words; w++)
                if (spans[w] < CHUNK_START(side, k) || spans[w] > CHUNK_END(side, k) || (w && spans[w] < spans[w - 1])) {
                    PyErr_SetString(PyExc_ValueError, "unchanged_spans: a word table's offsets are out of its chunk");
                    return -1;
                }
            if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(entry, 0)) > longest)
                longest = PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(entry, 0));
        }
        side->tables = tables;
    }
    side->key = PyMem_New(Py_UCS4, longest + 1);
    if (side->key == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* diff.growth._unchanged_spans_py(kept, (old_text, old_bounds, old_kinds),
 * (new_text, new_bounds, new_kinds), margin). */
static PyObject *
unchanged_spans(PyObject *self, PyObject *args)
{
    PyObject *kept, *texts[2], *bounds[2], *kinds[2], *tables[2] = {NULL, NULL};
    Py_ssize_t margin;
    if (!PyArg_ParseTuple(args, "O!UOSUOSn|OO:unchanged_spans", &PyList_Type, &kept, &texts[0], &bounds[0],
                          &kinds[0], &texts[1], &bounds[1], &kinds[1], &margin, &tables[0], &tables[1]))
        return NULL;
    SpanSide old = {0}, new = {0};
    Spans spans = {NULL, 0, 0};
    Py_ssize_t *heads = NULL, *tails = NULL, count = PyList_GET_SIZE(kept), (*runs)[4] = NULL;
    PyObject *result = NULL;
    if (span_side(&old, texts[0], bounds[0], kinds[0], tables[0]) < 0 ||
            span_side(&new, texts[1], bounds[1], kinds[1], tables[1]) < 0)
        goto done;
    runs = PyMem_Malloc((count + 1) * sizeof(*runs));
    heads = PyMem_New(Py_ssize_t, old.chunks + 2);
    tails = PyMem_New(Py_ssize_t, old.chunks + 2);
    if (runs == NULL || heads == NULL || tails == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < count; r++) {  /* (i0, i1, j0, j1): unchanged runs of chunks, in order */
        Py_ssize_t *run = runs[r];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(kept, r), "nnnn", &run[0], &run[1], &run[2], &run[3]))
            goto done;
        if (run[0] < (r ? runs[r - 1][1] : 0) || run[1] <= run[0] || run[1] > old.chunks ||
            run[2] < (r ? runs[r - 1][3] : 0) || run[3] <= run[2] || run[3] > new.chunks) {
            PyErr_SetString(PyExc_ValueError, "unchanged_spans: kept runs out of order or out of range");
            goto done;
        }
    }
    for (Py_ssize_t r = 0; r <= count; r++) {
        Py_ssize_t i0 = r ? runs[r - 1][1] : 0, j0 = r ? runs[r - 1][3] : 0;
        Py_ssize_t i1 = r < count ? runs[r][0] : old.chunks, j1 = r < count ? runs[r][2] : new.chunks;
        int changed = i1 > i0 && j1 > j0, even = i1 - i0 == j1 - j0;
        Py_ssize_t pairs = even ? i1 - i0 : 2;
        /* pair k: chunks i0 + k and j0 + k, or for an uneven stretch its first and last chunks */
#define PAIR_I(k) (even ? i0 + (k) : (k) ? i1 - 1 : i0)
#define PAIR_J(k) (even ? j0 + (k) : (k) ? j1 - 1 : j0)
        if (changed) {
            for (Py_ssize_t k = 0; k < pairs; k++)
                shared_ends(&old, PAIR_I(k), &new, PAIR_J(k), &heads[k], &tails[k]);
            if (r && heads[0] > margin) {  /* the run before grows into the first pair */
                spans.at[spans.n - 1][1] = word_end(&old, PAIR_I(0), heads[0] - margin);
                spans.at[spans.n - 1][3] = word_end(&new, PAIR_J(0), heads[0] - margin);
            }
            if (even)
                for (Py_ssize_t k = 1; k < pairs; k++) {
                    Py_ssize_t span[4];
                    if (span_across(&old, &new, PAIR_I(k - 1), PAIR_J(k - 1), PAIR_I(k), PAIR_J(k), tails[k - 1], heads[k],
                                    margin, span) && follows(span, &spans) && spans_push(&spans, span) < 0)
                        goto done;
                }
        }
        if (r < count) {
            Py_ssize_t *run = runs[r];
            Py_ssize_t span[4] = {old.bounds[2 * run[0] + 1], old.bounds[2 * run[1]], new.bounds[2 * run[2] + 1],
                                  new.bounds[2 * run[3]]};
            if (changed && tails[pairs - 1] > margin) {  /* it grows back into the last pair */
                Py_ssize_t grown[4] = {last_words_start(&old, PAIR_I(pairs - 1), tails[pairs - 1] - margin), span[1],
                                       last_words_start(&new, PAIR_J(pairs - 1), tails[pairs - 1] - margin), span[3]};
                if (follows(grown, &spans))  /* (a chunk both first and last of an uneven stretch: not twice) */
                    memcpy(span, grown, sizeof(span));
            }
            if (spans_push(&spans, span) < 0)
                goto done;
        }
#undef PAIR_I
#undef PAIR_J
    }
    result = PyList_New(spans.n);
    for (Py_ssize_t k = 0; result != NULL && k < spans.n; k++) {
        PyObject *span = Py_BuildValue("(nnnn)", spans.at[k][0], spans.at[k][1], spans.at[k][2], spans.at[k][3]);
        if (span == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, k, span);
    }
done:
    PyMem_Free(old.bounds);
    PyMem_Free(old.key);
    PyMem_Free(new.bounds);
    PyMem_Free(new.key);
    PyMem_Free(runs);
    PyMem_Free(heads);
    PyMem_Free(tails);
    PyMem_Free(spans.at);
    return result;
}

/* chunks._near_paragraph(text, a, b): whether text[a:b], with the whitespace
 * either side of it, holds "\r", U+2029 or two line feeds with only other
 * whitespace between them. */
static ALWAYS_INLINE int
near_paragraph_of_kind(const int kind, const void *data, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b)
{
    while (a > 0 && ISSPACE(PyUnicode_READ(kind, data, a - 1)))
        a--;
    while (b < n && ISSPACE(PyUnicode_READ(kind, data, b)))
        b++;
    int line_feed = 0;  /* a "\n" with only whitespace since */
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\r' || c == 0x2029 || (c == '\n' && line_feed))
            return 1;
        if (c == '\n')
            line_feed = 1;
        else if (!ISSPACE(c))
            line_feed = 0;
    }
    return 0;
}

static int
near_paragraph(int kind, const void *data, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b)
{
    switch (kind) {  /* (once per kind of str, as split_text) */
    case PyUnicode_1BYTE_KIND:
        return near_paragraph_of_kind(PyUnicode_1BYTE_KIND, data, n, a, b);
    case PyUnicode_2BYTE_KIND:
        return near_paragraph_of_kind(PyUnicode_2BYTE_KIND, data, n, a, b);
    default:
        return near_paragraph_of_kind(PyUnicode_4BYTE_KIND, data, n, a, b);
    }
}

/* chunks._shape of text[a:b] read item by item: each word (a run of
 * non-whitespace) and each paragraph break (a whitespace run with two line
 * breaks, "\r\n" one of them, or a U+2029) in turn.  Two shapes are equal
 * exactly when their items are: a paragraph is its words joined by single
 * spaces, and one at either end (whitespace before or after the span) is
 * the empty paragraph. */
typedef struct {
    const void *data;  /* (its kind is given to shape_next) */
    Py_ssize_t i, end;
} ShapeReader;

#define SHAPE_END 0
#define SHAPE_WORD 1
#define SHAPE_BREAK 2

static void
shape_reader(ShapeReader *r, int kind, const void *data, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b)
{
    while (a > 0 && ISSPACE(PyUnicode_READ(kind, data, a - 1)))
        a--;
    while (b < n && ISSPACE(PyUnicode_READ(kind, data, b)))
        b++;
    *r = (ShapeReader){data, a, b};
}

/* The next item: SHAPE_WORD (its start in *start, length in *length),
 * SHAPE_BREAK or SHAPE_END; kind: the text's (a constant where inlined). */
static ALWAYS_INLINE int
shape_next(ShapeReader *r, Py_ssize_t *start, Py_ssize_t *length, const int kind)
{
    while (r->i < r->end) {
        Py_UCS4 c = PyUnicode_READ(kind, r->data, r->i);
        if (!ISSPACE(c)) {
            Py_ssize_t j = r->i + 1;
            while (j < r->end && !ISSPACE(PyUnicode_READ(kind, r->data, j)))
                j++;
            *start = r->i;
            *length = j - r->i;
            r->i = j;
            return SHAPE_WORD;
        }
        int newlines = 0, separator = 0;
        for (; r->i < r->end && ISSPACE(c = PyUnicode_READ(kind, r->data, r->i)); r->i++) {
            if (c == 0x2029)
                separator = 1;
            else if (c == '\r' || (c == '\n' && !(r->i > 0 && PyUnicode_READ(kind, r->data, r->i - 1) == '\r')))
                newlines++;
        }
        if (separator || newlines >= 2)
            return SHAPE_BREAK;
    }
    return SHAPE_END;
}

/* chunks._shape(old, a, b) == chunks._shape(new, c, d) */
static ALWAYS_INLINE int
same_shape_of_kinds(PyObject *old, Py_ssize_t a, Py_ssize_t b, PyObject *new, Py_ssize_t c, Py_ssize_t d,
                    const int kx, const int ky)
{
    ShapeReader x, y;
    const void *dx = PyUnicode_DATA(old), *dy = PyUnicode_DATA(new);
    shape_reader(&x, kx, dx, PyUnicode_GET_LENGTH(old), a, b);
    shape_reader(&y, ky, dy, PyUnicode_GET_LENGTH(new), c, d);
    for (;;) {
        Py_ssize_t sx = 0, nx = 0, sy = 0, ny = 0;
        int ix = shape_next(&x, &sx, &nx, kx), iy = shape_next(&y, &sy, &ny, ky);
        if (ix != iy)
            return 0;
        if (ix == SHAPE_END)
            return 1;
        if (ix == SHAPE_WORD) {
            if (nx != ny)
                return 0;
            for (Py_ssize_t k = 0; k < nx; k++)
                if (PyUnicode_READ(kx, dx, sx + k) != PyUnicode_READ(ky, dy, sy + k))
                    return 0;
        }
    }
}

static int
same_shape(PyObject *old, Py_ssize_t a, Py_ssize_t b, PyObject *new, Py_ssize_t c, Py_ssize_t d)
{
    int kx = PyUnicode_KIND(old), ky = PyUnicode_KIND(new);
    if (kx == ky && kx == PyUnicode_1BYTE_KIND)  /* (once per kind of str, as split_text) */
        return same_shape_of_kinds(old, a, b, new, c, d, PyUnicode_1BYTE_KIND, PyUnicode_1BYTE_KIND);
    if (kx == ky && kx == PyUnicode_2BYTE_KIND)
        return same_shape_of_kinds(old, a, b, new, c, d, PyUnicode_2BYTE_KIND, PyUnicode_2BYTE_KIND);
    return same_shape_of_kinds(old, a, b, new, c, d, kx, ky);
}

/* A sorted list of ints as a C array (for holds()); NULL with an exception
 * if it is not one. */
static Py_ssize_t *
sorted_offsets(PyObject *list, Py_ssize_t *n)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "plans_from_spans: offsets must be a list of int");
        return NULL;
    }
    *n = PyList_GET_SIZE(list);
    Py_ssize_t *out = PyMem_New(Py_ssize_t, *n + 1);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t k = 0; k < *n; k++) {
        out[k] = PyLong_AsSsize_t(PyList_GET_ITEM(list, k));
        if (out[k] == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            return NULL;
        }
        if (k && out[k] < out[k - 1]) {
            PyMem_Free(out);
            PyErr_SetString(PyExc_ValueError, "plans_from_spans: offsets not sorted");
            return NULL;
        }
    }
    return out;
}

/* Whether some starts[k] (sorted) has a <= starts[k] < b: chunks' holds(). */
static int
holds_offset(const Py_ssize_t *starts, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (starts[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && starts[lo] < b;
}

/* Append (start, end, run) to a plan: run < 0 for None.  (The tuple made
 * by hand: Py_BuildValue's reading of its format was a third of the time.) */
static int
plan_append(PyObject *plan, Py_ssize_t start, Py_ssize_t end, Py_ssize_t run)
{
    PyObject *item = PyTuple_New(3), *v;
    if (item == NULL)
        return -1;
    if ((v = PyLong_FromSsize_t(start)) == NULL)
        goto fail;
    PyTuple_SET_ITEM(item, 0, v);
    if ((v = PyLong_FromSsize_t(end)) == NULL)
        goto fail;
    PyTuple_SET_ITEM(item, 1, v);
    if (run < 0) {
        Py_INCREF(Py_None);
        v = Py_None;
    }
    else if ((v = PyLong_FromSsize_t(run)) == NULL)
        goto fail;
    PyTuple_SET_ITEM(item, 2, v);
    return append_new(plan, item);
fail:
    Py_DECREF(item);
    return -1;
}

/* chunks._plans_from_spans_py(spans, holds_old, holds_new, run_starts,
 * old_text, new_text): (old plan, new plan, pinned), pinned the bytes of
 * int64 old_start, old_end, new_start, new_end of each pinned span. */
static PyObject *
plans_from_spans(PyObject *self, PyObject *args)
{
    PyObject *spans, *lists[3], *old, *new;
    if (!PyArg_ParseTuple(args, "O!OOOUU:plans_from_spans", &PyList_Type, &spans, &lists[0], &lists[1], &lists[2],
                          &old, &new))
        return NULL;
    Py_ssize_t *offsets[3] = {NULL, NULL, NULL}, counts[3] = {0, 0, 0};
    PyObject *plans[2] = {PyList_New(0), PyList_New(0)}, *result = NULL;
    Ints pinned = {NULL, 0, 0, 8};
    if (plans[0] == NULL || plans[1] == NULL)
        goto done;
    for (int k = 0; k < 3; k++)
        if ((offsets[k] = sorted_offsets(lists[k], &counts[k])) == NULL)
            goto done;
    Py_ssize_t lengths[2] = {PyUnicode_GET_LENGTH(old), PyUnicode_GET_LENGTH(new)}, done_at[2] = {0, 0}, run = 0;
    int ko = PyUnicode_KIND(old), kn = PyUnicode_KIND(new);
    const void *d_old = PyUnicode_DATA(old), *d_new = PyUnicode_DATA(new);
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(spans); k++) {
        Py_ssize_t s[4];
        PyObject *span = PyList_GET_ITEM(spans, k);
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 4) {
            PyErr_SetString(PyExc_TypeError, "plans_from_spans: spans must be a list of 4-tuples of int");
            goto done;
        }
        for (int t = 0; t < 4; t++)
            if ((s[t] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, t))) == -1 && PyErr_Occurred())
                goto done;
        if (s[0] < 0 || s[1] < s[0] || s[1] > lengths[0] || s[2] < 0 || s[3] < s[2] || s[3] > lengths[1]) {
            PyErr_SetString(PyExc_ValueError, "plans_from_spans: a span out of range");
            goto done;
        }
        int alone = holds_offset(offsets[0], counts[0], s[0], s[1]) || holds_offset(offsets[1], counts[1], s[2], s[3]);
        if ((alone || !holds_offset(offsets[2], counts[2], s[0], s[1])) &&
            (alone || near_paragraph(ko, d_old, lengths[0], s[0], s[1]) || near_paragraph(kn, d_new, lengths[1], s[2], s[3])) &&
            !same_shape(old, s[0], s[1], new, s[2], s[3])) {
            for (int t = 0; t < 4; t++)
                if (ints_push(&pinned, s[t]) < 0)
                    goto done;
            continue;
        }
        for (int t = 0; t < 2; t++) {  /* chunks._plan_from_spans, both texts at once */
            Py_ssize_t start = s[2 * t], end = s[2 * t + 1];
            if (start > done_at[t] && plan_append(plans[t], done_at[t], start, -1) < 0)
                goto done;
            if (plan_append(plans[t], start, end, run) < 0)
                goto done;
            done_at[t] = end;
        }
        run++;
    }
    for (int t = 0; t < 2; t++)
        if (done_at[t] < lengths[t] && plan_append(plans[t], done_at[t], lengths[t], -1) < 0)
            goto done;
    result = Py_BuildValue("(OON)", plans[0], plans[1], ints_bytes(&pinned));
done:
    for (int k = 0; k < 3; k++)
        PyMem_Free(offsets[k]);
    Py_XDECREF(plans[0]);
    Py_XDECREF(plans[1]);
    Py_XDECREF(pinned.bytes);
    return result;
}

/* (a, b, c, d) as a tuple of ints, made by hand (Py_BuildValue reads its
 * format each time: a third of the time of a few thousand tuples). */
static PyObject *
int_tuple4(Py_ssize_t a, Py_ssize_t b, Py_ssize_t c, Py_ssize_t d)
{
    Py_ssize_t v[4] = {a, b, c, d};
    PyObject *out = PyTuple_New(4);
    for (int k = 0; out != NULL && k < 4; k++) {
        PyObject *item = PyLong_FromSsize_t(v[k]);
        if (item == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, k, item);
    }
    return out;
}

/* A list of (i0, i1, j0, j1) runs of chunks, in order, each as long in both
 * texts, as a C array; NULL with an exception if it is not one. */
static Py_ssize_t (*
read_runs(PyObject *kept, const char *name, Py_ssize_t *count))[4]
{
    if (!PyList_Check(kept)) {
        PyErr_Format(PyExc_TypeError, "%s: kept must be a list of (i0, i1, j0, j1)", name);
        return NULL;
    }
    *count = PyList_GET_SIZE(kept);
    Py_ssize_t (*runs)[4] = PyMem_Malloc((*count + 1) * sizeof(*runs));
    if (runs == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t r = 0; r < *count; r++) {
        Py_ssize_t *run = runs[r];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(kept, r), "nnnn", &run[0], &run[1], &run[2], &run[3]))
            goto fail;
        if (run[0] < (r ? runs[r - 1][1] : 0) || run[1] <= run[0] || run[2] < (r ? runs[r - 1][3] : 0) ||
            run[3] - run[2] != run[1] - run[0]) {
            PyErr_Format(PyExc_ValueError, "%s: kept runs out of order or of two lengths", name);
            goto fail;
        }
    }
    return runs;
fail:
    PyMem_Free(runs);
    return NULL;
}

static int
set_add_index(PyObject *set, Py_ssize_t k)
{
    PyObject *index = PyLong_FromSsize_t(k);
    int r = index ? PySet_Add(set, index) : -1;
    Py_XDECREF(index);
    return r;
}

/* chunks._paragraph_isolated_py(kept, old_kinds, new_kinds): (old chunk
 * indices, new chunk indices) that a paragraph break on one side only may
 * touch. */
static PyObject *
paragraph_isolated(PyObject *self, PyObject *args)
{
    PyObject *kept, *texts[2], *bounds_arg[2];
    const unsigned char *kinds[2];
    Py_ssize_t n_kinds[2], count = 0;
    if (!PyArg_ParseTuple(args, "Oy#y#UOUO:paragraph_isolated", &kept, &kinds[0], &n_kinds[0], &kinds[1], &n_kinds[1],
                          &texts[0], &bounds_arg[0], &texts[1], &bounds_arg[1]))
        return NULL;
    Py_buffer views[2] = {{0}, {0}};
    const int64_t *bounds[2];
    for (int side = 0; side < 2; side++) {
        if (PyObject_GetBuffer(bounds_arg[side], &views[side], PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
            if (side)
                PyBuffer_Release(&views[0]);
            return NULL;
        }
        bounds[side] = views[side].buf;
        Py_ssize_t n = views[side].len / (Py_ssize_t)sizeof(int64_t);
        const char *problem = NULL;
        PyObject *error = PyExc_ValueError;
        if (views[side].itemsize != sizeof(int64_t) || views[side].format == NULL || strcmp(views[side].format, "q") != 0) {
            problem = "paragraph_isolated: bounds must be an array('q')";
            error = PyExc_TypeError;
        }
        else if (n != 2 * n_kinds[side] + 1)
            problem = "paragraph_isolated: bounds and kinds do not match";
        else
            for (Py_ssize_t i = 0; i < n && problem == NULL; i++)
                if (bounds[side][i] < (i ? bounds[side][i - 1] : 0) || bounds[side][i] > PyUnicode_GET_LENGTH(texts[side]))
                    problem = "paragraph_isolated: bounds out of order or out of range";
        if (problem != NULL) {
            PyBuffer_Release(&views[side]);
            if (side)
                PyBuffer_Release(&views[0]);
            PyErr_SetString(error, problem);
            return NULL;
        }
    }
    Py_ssize_t (*runs)[4] = read_runs(kept, "paragraph_isolated", &count);
    if (runs == NULL) {
        PyBuffer_Release(&views[0]);
        PyBuffer_Release(&views[1]);
        return NULL;
    }
    PyObject *out[2] = {PySet_New(NULL), PySet_New(NULL)}, *result = NULL;
    unsigned char *drop = NULL;
    const unsigned char flag = INNER_PARAGRAPH, kind = INNER_PARAGRAPH - 1;
    const unsigned char *x = kinds[0], *y = kinds[1];
    if (out[0] == NULL || out[1] == NULL)
        goto done;
    for (Py_ssize_t r = 0; r < count; r++) {
        Py_ssize_t i0 = runs[r][0], i1 = runs[r][1], j0 = runs[r][2], j1 = runs[r][3], n = i1 - i0;
        if (i1 > n_kinds[0] || j1 > n_kinds[1]) {
            PyErr_SetString(PyExc_ValueError, "paragraph_isolated: a run past the chunks");
            goto done;
        }
        int before = i0 && j0 && ((x[i0] & kind) != (y[j0] & kind) || ((x[i0 - 1] | y[j0 - 1]) & flag));
        int after = i1 < n_kinds[0] && j1 < n_kinds[1] && ((x[i1] & kind) != (y[j1] & kind) || ((x[i1] | y[j1]) & flag));
        int any = before || after;
        for (Py_ssize_t t = 0; t < n && !any; t++)
            any = ((x[i0 + t] | y[j0 + t]) & flag) || (t && (x[i0 + t] & kind) != (y[j0 + t] & kind));
        if (!any)
            continue;  /* the usual case */
        PyMem_Free(drop);
        drop = PyMem_Calloc(n, 1);
        if (drop == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (before)
            drop[0] = 1;
        if (after)
            drop[n - 1] = 1;
        for (Py_ssize_t t = 0; t < n; t++) {
            Py_ssize_t i = i0 + t, j = j0 + t;
            /* (a chunk inside a run whose paragraphs are the same in both texts: one paragraph break in one text only is not in it) */
            if (((x[i] | y[j]) & flag) &&
                    !(t > 0 && t < n - 1 && (x[i] & y[j] & flag) &&
                      same_shape(texts[0], bounds[0][2 * i + 1], bounds[0][2 * i + 2], texts[1], bounds[1][2 * j + 1], bounds[1][2 * j + 2])))
                drop[t] = 1;
            if (t && (x[i] & kind) != (y[j] & kind))
                drop[t - 1] = drop[t] = 1;
        }
        for (Py_ssize_t t = 0; t < n; t++)
            if (drop[t] && (set_add_index(out[0], i0 + t) < 0 || set_add_index(out[1], j0 + t) < 0))
                goto done;
    }
    result = PyTuple_Pack(2, out[0], out[1]);
done:
    PyMem_Free(runs);
    PyMem_Free(drop);
    Py_XDECREF(out[0]);
    Py_XDECREF(out[1]);
    PyBuffer_Release(&views[0]);
    PyBuffer_Release(&views[1]);
    return result;
}

/* The members of a set (or any iterable) of ints below n, marked in a
 * table of n bytes; NULL with an exception. */
static unsigned char *
marked_indices(PyObject *members, Py_ssize_t n)
{
    unsigned char *marks = PyMem_Calloc(n + 1, 1);
    PyObject *it = marks ? PyObject_GetIter(members) : NULL, *item;
    if (marks == NULL)
        PyErr_NoMemory();
    if (it == NULL) {
        PyMem_Free(marks);
        return NULL;
    }
    while ((item = PyIter_Next(it)) != NULL) {
        Py_ssize_t k = PyLong_AsSsize_t(item);
        Py_DECREF(item);
        if (k == -1 && PyErr_Occurred())
            break;
        if (k >= 0 && k < n)
            marks[k] = 1;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        PyMem_Free(marks);
        return NULL;
    }
    return marks;
}

/* chunks._split_runs_py(kept, old_merged, new_merged): the runs cut so that
 * each chunk pair with a chunk in either set is a run of its own. */
static PyObject *
split_runs(PyObject *self, PyObject *args)
{
    PyObject *kept, *merged[2];
    Py_ssize_t count = 0;
    if (!PyArg_ParseTuple(args, "OOO:split_runs", &kept, &merged[0], &merged[1]))
        return NULL;
    Py_ssize_t (*runs)[4] = read_runs(kept, "split_runs", &count);
    if (runs == NULL)
        return NULL;
    Py_ssize_t ends[2] = {count ? runs[count - 1][1] : 0, count ? runs[count - 1][3] : 0};
    unsigned char *marks[2] = {NULL, NULL};
    PyObject *out = PyList_New(0), *result = NULL;
    if (out == NULL || (marks[0] = marked_indices(merged[0], ends[0])) == NULL ||
        (marks[1] = marked_indices(merged[1], ends[1])) == NULL)
        goto done;
#define RUN(a, b, c, d) append_new(out, int_tuple4((a), (b), (c), (d)))
    for (Py_ssize_t r = 0; r < count; r++) {
        Py_ssize_t i0 = runs[r][0], i1 = runs[r][1], j0 = runs[r][2], j1 = runs[r][3], start = 0;
        for (Py_ssize_t t = 0; t < i1 - i0; t++) {
            if (!marks[0][i0 + t] && !marks[1][j0 + t])
                continue;
            if (t > start && RUN(i0 + start, i0 + t, j0 + start, j0 + t) < 0)
                goto done;
            if (RUN(i0 + t, i0 + t + 1, j0 + t, j0 + t + 1) < 0)
                goto done;
            start = t + 1;
        }
        if (start < i1 - i0 && RUN(i0 + start, i1, j0 + start, j1) < 0)
            goto done;
    }
#undef RUN
    result = out;
    out = NULL;
done:
    PyMem_Free(runs);
    PyMem_Free(marks[0]);
    PyMem_Free(marks[1]);
    Py_XDECREF(out);
    return result;
}

/* chunks._kept_runs_py(ops, old_lengths, min_kept): the equal runs of a
 * diff of chunk codes, (i0, i1, j0, j1), whose keys (old_lengths: an
 * array("q") or a list of each old chunk's key length) with a space after
 * each are at least min_kept characters long. */
static PyObject *
kept_runs(PyObject *self, PyObject *args)
{
    PyObject *ops, *lengths;
    Py_ssize_t min_kept;
    if (!PyArg_ParseTuple(args, "O!On:kept_runs", &PyList_Type, &ops, &lengths, &min_kept))
        return NULL;
    Py_buffer view = {0};
    PyObject *seq = NULL, *out = NULL, *result = NULL;
    const int64_t *given = NULL;
    Py_ssize_t n_lengths;
    if (PyObject_CheckBuffer(lengths)) {
        if (PyObject_GetBuffer(lengths, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            return NULL;
        if (view.itemsize != sizeof(int64_t) || view.format == NULL || strcmp(view.format, "q") != 0) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_TypeError, "kept_runs: old_lengths must be an array('q') or a list of int");
            return NULL;
        }
        given = view.buf;
        n_lengths = view.len / (Py_ssize_t)sizeof(int64_t);
    }
    else {
        if ((seq = PySequence_Fast(lengths, "kept_runs: old_lengths must be an array('q') or a list of int")) == NULL)
            return NULL;
        n_lengths = PySequence_Fast_GET_SIZE(seq);
    }
    if ((out = PyList_New(0)) == NULL)
        goto done;
    Py_ssize_t i = 0, j = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(ops); k++) {
        PyObject *item = PyList_GET_ITEM(ops, k), *op;
        Py_ssize_t n;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyUnicode_Check(op = PyTuple_GET_ITEM(item, 0)) ||
            PyUnicode_GET_LENGTH(op) != 1) {
            PyErr_SetString(PyExc_TypeError, "kept_runs: ops must be a list of (op, n)");
            goto done;
        }
        if ((n = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 1))) == -1 && PyErr_Occurred())
            goto done;
        Py_UCS4 c = PyUnicode_READ_CHAR(op, 0);
        if (n < 0 || (c != '+' && i + n > n_lengths)) {
            PyErr_SetString(PyExc_ValueError, "kept_runs: ops past the old chunks");
            goto done;
        }
        if (c == '=') {
            Py_ssize_t chars = n;  /* a space after each key */
            for (Py_ssize_t t = i; t < i + n; t++) {
                if (given != NULL)
                    chars += (Py_ssize_t)given[t];
                else {
                    Py_ssize_t v = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, t));
                    if (v == -1 && PyErr_Occurred())
                        goto done;
                    chars += v;
                }
            }
            if (chars >= min_kept && append_new(out, int_tuple4(i, i + n, j, j + n)) < 0)
                goto done;
            i += n;
            j += n;
        }
        else if (c == '-')
            i += n;
        else
            j += n;
    }
    result = out;
    out = NULL;
done:
    if (given != NULL)
        PyBuffer_Release(&view);
    Py_XDECREF(seq);
    Py_XDECREF(out);
    return result;
}

/* diff._anchor_runs(diff._unique_anchors_py(a, b)): anchors for a diff of
 * two strings of one character per token, the longest chain of (i, j)
 * pairs increasing in both, as runs (i, j, n) of consecutive ones.
 * Counting uses arrays indexed by character: the characters are codes from
 * codes.encode_keys, numbered from 1 up. */
static PyObject *
anchor_runs(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "UU:anchor_runs", &a, &b))
        return NULL;
    int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b);
    const void *da = PyUnicode_DATA(a), *db = PyUnicode_DATA(b);
    Py_ssize_t na = PyUnicode_GET_LENGTH(a), nb = PyUnicode_GET_LENGTH(b), i, j;
    Py_UCS4 top = 0;
    for (i = 0; i < na; i++)
        if (PyUnicode_READ(ka, da, i) > top)
            top = PyUnicode_READ(ka, da, i);
    for (j = 0; j < nb; j++)
        if (PyUnicode_READ(kb, db, j) > top)
            top = PyUnicode_READ(kb, db, j);
    Py_ssize_t size = (Py_ssize_t)top + 1, pairs_n = 0, chain_n = 0;
    Py_ssize_t *count_a = PyMem_Calloc(size, sizeof(Py_ssize_t)), *count_b = PyMem_Calloc(size, sizeof(Py_ssize_t));
    Py_ssize_t *first = PyMem_Calloc(size, sizeof(Py_ssize_t));  /* where a character's positions in b start */
    /* Sized by the pairs, once they are counted, not by the tokens: six
     * arrays of every token were 37 MB at 4 MB with 20% edits for some
     * 20,000 pairs (mostly never touched, so not resident, but mapped, and
     * the largest block tracemalloc saw in a comparison). */
    Py_ssize_t *where_b = NULL, *pair_i = NULL, *pair_j = NULL, *tails = NULL, *tail_index = NULL, *back = NULL;
    PyObject *result = NULL;
    if (!count_a || !count_b || !first) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < na; i++)
        count_a[PyUnicode_READ(ka, da, i)]++;
    for (j = 0; j < nb; j++)
        count_b[PyUnicode_READ(kb, db, j)]++;
    Py_ssize_t unique = 0, repeated = 0;
    for (Py_ssize_t c = 0; c < size; c++) {
        unique += count_a[c] == 1 && count_b[c] == 1;
        repeated += count_a[c] >= 1 && count_a[c] <= 4 && count_b[c] == count_a[c];
    }
    /* Few unique tokens: the text repeats itself; pair the k-th occurrences
     * of tokens that occur equally often, at most 4 times, in both. */
    Py_ssize_t most = unique * 64 < (na < nb ? na : nb) && repeated > unique ? 4 : 1;
    if (most == 1 && unique == 0)
        goto chain;
    Py_ssize_t offset = 0;  /* b's positions of the paired characters, grouped by character */
    for (Py_ssize_t c = 0; c < size; c++) {
        first[c] = offset;
        if (count_a[c] >= 1 && count_a[c] <= most && count_b[c] == count_a[c])
            offset += count_b[c];
        else
            count_a[c] = 0;  /* not paired */
    }
    /* offset: the paired positions in b, as many as in a */
    where_b = PyMem_New(Py_ssize_t, offset + 1);
    pair_i = PyMem_New(Py_ssize_t, offset + 1);
    pair_j = PyMem_New(Py_ssize_t, offset + 1);
    tails = PyMem_New(Py_ssize_t, offset + 1);
    tail_index = PyMem_New(Py_ssize_t, offset + 1);
    back = PyMem_New(Py_ssize_t, offset + 1);
    if (!where_b || !pair_i || !pair_j || !tails || !tail_index || !back) {
        PyErr_NoMemory();
        goto done;
    }
    for (j = 0; j < nb; j++) {
        Py_UCS4 c = PyUnicode_READ(kb, db, j);
        if (count_a[c])
            where_b[first[c]++] = j;
    }
    for (Py_ssize_t c = 0, start = 0; c < size; c++) {  /* back to where each group starts */
        Py_ssize_t next = first[c];
        first[c] = start;
        start = next;
    }
    for (i = 0; i < na; i++) {  /* the k-th occurrence in a with the k-th in b: in order of i */
        Py_UCS4 c = PyUnicode_READ(ka, da, i);
        if (count_a[c]) {
            pair_i[pairs_n] = i;
            pair_j[pairs_n++] = where_b[first[c]++];
        }
    }
    /* The longest chain whose j's increase (diff._longest_chain). */
    for (Py_ssize_t n = 0; n < pairs_n; n++) {
        Py_ssize_t lo = 0, hi = chain_n;  /* bisect_left(tails, j) */
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi) / 2;
            if (tails[mid] < pair_j[n])
                lo = mid + 1;
            else
                hi = mid;
        }
        tails[lo] = pair_j[n];
        tail_index[lo] = n;
        back[n] = lo ? tail_index[lo - 1] : -1;
        if (lo == chain_n)
            chain_n++;
    }
chain:
    /* The chain, in order (in tails: its pairs' indices), then grouped into
     * runs of consecutive anchors (diff._anchor_runs). */
    for (Py_ssize_t n = chain_n ? tail_index[chain_n - 1] : -1, k = chain_n - 1; n >= 0; n = back[n], k--)
        tails[k] = n;
    result = PyList_New(0);
    for (Py_ssize_t k = 0; result != NULL && k < chain_n;) {
        Py_ssize_t first = tails[k], run = 1;
        while (k + run < chain_n && pair_i[tails[k + run]] == pair_i[first] + run && pair_j[tails[k + run]] == pair_j[first] + run)
            run++;
        if (append_new(result, Py_BuildValue("(nnn)", pair_i[first], pair_j[first], run)) < 0)
            Py_CLEAR(result);
        k += run;
    }
done:
    PyMem_Free(count_a);
    PyMem_Free(count_b);
    PyMem_Free(first);
    PyMem_Free(where_b);
    PyMem_Free(pair_i);
    PyMem_Free(pair_j);
    PyMem_Free(tails);
    PyMem_Free(tail_index);
    PyMem_Free(back);
    return result;
}

/* codes.encode_keys(a_keys, b_keys): each distinct str as one character,
 * in order of first appearance, skipping NUL and surrogates.  Keys are
 * looked up by identity first (the keyer hands out one object per key). */
typedef struct {
    PyObject *key;  /* borrowed from the lists; NULL: empty slot */
    Py_hash_t hash;
    Py_UCS4 code;
} KeySlot;

/* An open-addressing table of the distinct keys, grown as they come: sized
 * for every token at once it took 48 MB for a 16 MB pair, of which the few
 * hundred thousand distinct words used a fraction. */
typedef struct {
    KeySlot *slots;
    size_t mask;  /* size - 1, size a power of two */
    size_t used;
} KeyTable;

static int
key_table_grow(KeyTable *t)
{
    size_t size = 2 * (t->mask + 1);
    KeySlot *slots = PyMem_Calloc(size, sizeof(KeySlot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        KeySlot *old = &t->slots[i];
        if (old->key == NULL)
            continue;
        size_t at = (size_t)old->hash & (size - 1);
        while (slots[at].key != NULL)
            at = (at + 1) & (size - 1);
        slots[at] = *old;
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->mask = size - 1;
    return 0;
}

/* The code of `key` in t: a new one, the next free, for a key not in it
 * yet; the table then grown to stay at most half full.  -1 with an
 * exception for a key that is not a str or when codes run out. */
static int
key_code(KeyTable *t, PyObject *key, Py_UCS4 *next, Py_UCS4 *code)
{
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "encode_keys: keys must be str");
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(key);
    if (hash == -1)
        return -1;
    size_t at = (size_t)hash & t->mask;
    for (;;) {
        KeySlot *slot = &t->slots[at];
        if (slot->key == NULL) {
            if (*next > 0x10FFFF) {
                PyErr_SetString(PyExc_ValueError, "more distinct keys than Unicode has characters");
                return -1;
            }
            *slot = (KeySlot){key, hash, *next};
            *next = *next == 0xD7FF ? 0xE000 : *next + 1;
            t->used++;
            break;
        }
        if (slot->key == key || (slot->hash == hash && PyUnicode_Compare(slot->key, key) == 0))
            break;
        at = (at + 1) & t->mask;
    }
    *code = t->slots[at].code;
    if (2 * t->used > t->mask + 1 && key_table_grow(t) < 0)
        return -1;
    return 0;
}

/* diff._merge_ops as a stream: neighbouring operations of one kind joined,
 * deletions before insertions within a run of changes. */
typedef struct {
    PyObject *ops;
    Py_ssize_t equal, deleted, inserted;
} Merger;

static int
merger_put(PyObject *ops, const char *op, Py_ssize_t n)
{
    return append_new(ops, Py_BuildValue("(sn)", op, n));
}

static int
merger_add(Merger *m, char op, Py_ssize_t n)
{
    if (op == '=') {
        if (m->deleted || m->inserted) {
            if (m->deleted && merger_put(m->ops, "-", m->deleted) < 0)
                return -1;
            if (m->inserted && merger_put(m->ops, "+", m->inserted) < 0)
                return -1;
            m->deleted = m->inserted = 0;
        }
        m->equal += n;
    }
    else if (n) {
        if (m->equal) {
            if (merger_put(m->ops, "=", m->equal) < 0)
                return -1;
            m->equal = 0;
        }
        if (op == '-')
            m->deleted += n;
        else
            m->inserted += n;
    }
    return 0;
}

static int
merger_end(Merger *m)
{
    if (m->equal && merger_put(m->ops, "=", m->equal) < 0)
        return -1;
    if (m->deleted && merger_put(m->ops, "-", m->deleted) < 0)
        return -1;
    if (m->inserted && merger_put(m->ops, "+", m->inserted) < 0)
        return -1;
    return 0;
}

/* The diff of a[pa:ia] and b[pb:ib] when it needs no diff algorithm: what
 * is left after their common prefix and suffix is empty on one side (and
 * diff-match-patch would not shift it), or the two rests share no
 * character (all of it deleted and inserted, which is what Myers gives
 * once merged).  0 when done, 1 when it needs the algorithm, -1 on error. */
static int
simple_stretch(Merger *m, int ka, const void *da, Py_ssize_t pa, Py_ssize_t ia, int kb, const void *db,
               Py_ssize_t pb, Py_ssize_t ib)
{
    Py_ssize_t p = 0, s = 0, la = ia - pa, lb = ib - pb;
    while (p < la && p < lb && PyUnicode_READ(ka, da, pa + p) == PyUnicode_READ(kb, db, pb + p))
        p++;
    while (s < la - p && s < lb - p && PyUnicode_READ(ka, da, ia - 1 - s) == PyUnicode_READ(kb, db, ib - 1 - s))
        s++;
    Py_ssize_t ma = la - p - s, mb = lb - p - s;
    if (p && s && (!ma || !mb) && (ma || mb)) {
        /* A lone insertion or deletion between two equal runs is shifted by
         * diff-match-patch's clean-up when it ends with the whole run before
         * it or starts with the whole run after it: the diff call decides. */
        int kd = ma ? ka : kb;
        const void *dd = ma ? da : db;
        Py_ssize_t e0 = (ma ? pa : pb) + p, e1 = e0 + (ma ? ma : mb), q;
        if (e1 - e0 >= p) {
            for (q = 0; q < p && PyUnicode_READ(kd, dd, e1 - p + q) == PyUnicode_READ(ka, da, pa + q); q++)
                ;
            if (q == p)
                return 1;
        }
        if (e1 - e0 >= s) {
            for (q = 0; q < s && PyUnicode_READ(kd, dd, e0 + q) == PyUnicode_READ(ka, da, ia - s + q); q++)
                ;
            if (q == s)
                return 1;
        }
    }
    if (ma && mb) {
        if (ma * mb > 64)
            return 1;  /* not worth looking: let the algorithm do it */
        for (Py_ssize_t i = pa + p; i < ia - s; i++)
            for (Py_ssize_t j = pb + p; j < ib - s; j++)
                if (PyUnicode_READ(ka, da, i) == PyUnicode_READ(kb, db, j))
                    return 1;
    }
    if (merger_add(m, '=', p) < 0 || merger_add(m, '-', ma) < 0 || merger_add(m, '+', mb) < 0 ||
        merger_add(m, '=', s) < 0)
        return -1;
    return 0;
}

/* diff._diff_stretches: a and b diffed around runs of tokens known to be
 * equal, runs a list of (i, j, n) in order (a[i:i+n] == b[j:j+n]); each
 * stretch before a run and after the last is diffed by diff(a_stretch,
 * b_stretch) unless simple_stretch can tell; the ops merged. */
static PyObject *
diff_stretches(PyObject *self, PyObject *args)
{
    PyObject *a, *b, *given, *diff;
    if (!PyArg_ParseTuple(args, "UUO!O:diff_stretches", &a, &b, &PyList_Type, &given, &diff))
        return NULL;
    int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b);
    const void *da = PyUnicode_DATA(a), *db = PyUnicode_DATA(b);
    Py_ssize_t na = PyUnicode_GET_LENGTH(a), nb = PyUnicode_GET_LENGTH(b), pa = 0, pb = 0;
    PyObject *runs = PyList_AsTuple(given);  /* diff, Python code, could change the list */
    Py_ssize_t count = runs ? PyTuple_GET_SIZE(runs) : 0;
    Merger m = {runs ? PyList_New(0) : NULL, 0, 0, 0};
    if (m.ops == NULL) {
        Py_XDECREF(runs);
        return NULL;
    }
    for (Py_ssize_t k = 0; k <= count; k++) {
        Py_ssize_t ia = na, ib = nb, run = 0;
        if (k < count && !PyArg_ParseTuple(PyTuple_GET_ITEM(runs, k), "nnn", &ia, &ib, &run))
            goto fail;
        if (ia < pa || ib < pb || run < 0 || ia + run > na || ib + run > nb) {
            PyErr_SetString(PyExc_ValueError, "diff_stretches: runs out of order or out of range");
            goto fail;
        }
        int r = simple_stretch(&m, ka, da, pa, ia, kb, db, pb, ib);
        if (r < 0)
            goto fail;
        if (r == 1) {
            PyObject *sa = PyUnicode_Substring(a, pa, ia), *sb = sa ? PyUnicode_Substring(b, pb, ib) : NULL;
            PyObject *ops = sb ? PyObject_CallFunctionObjArgs(diff, sa, sb, NULL) : NULL;
            Py_XDECREF(sa);
            Py_XDECREF(sb);
            PyObject *seq = ops ? PySequence_Fast(ops, "diff_stretches: diff must give a list of (op, n)") : NULL;
            Py_XDECREF(ops);
            if (seq == NULL)
                goto fail;
            for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
                PyObject *item = PySequence_Fast_GET_ITEM(seq, i), *op;
                Py_ssize_t n = -1;
                if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2 && PyUnicode_Check(op = PyTuple_GET_ITEM(item, 0)) &&
                    PyUnicode_GET_LENGTH(op) == 1)
                    n = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 1));
                if (n < 0) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "diff_stretches: diff must give a list of (op, n)");
                    Py_DECREF(seq);
                    goto fail;
                }
                if (merger_add(&m, (char)PyUnicode_READ_CHAR(op, 0), n) < 0) {
                    Py_DECREF(seq);
                    goto fail;
                }
            }
            Py_DECREF(seq);
        }
        if (merger_add(&m, '=', run) < 0)
            goto fail;
        pa = ia + run;
        pb = ib + run;
    }
    if (merger_end(&m) < 0)
        goto fail;
    Py_DECREF(runs);
    return m.ops;
fail:
    Py_DECREF(runs);
    Py_DECREF(m.ops);
    return NULL;
}

/* The first i in [from, end) where text holds one of [-\u2010\u00ad], or end. */
#define HYPHEN_AT(T) for (; i < end; i++) { T c = ((const T *)data)[i]; if (c == '-' || c == 0x00ad || (sizeof(T) > 1 && c == 0x2010)) break; }
static Py_ssize_t
next_hyphen(int kind, const void *data, Py_ssize_t from, Py_ssize_t end)
{
    Py_ssize_t i = from;
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        HYPHEN_AT(Py_UCS1)
        break;
    case PyUnicode_2BYTE_KIND:
        HYPHEN_AT(Py_UCS2)
        break;
    default:
        HYPHEN_AT(Py_UCS4)
    }
    return i;
}
#undef HYPHEN_AT

/* linebreaks._line_break_hyphens_py: in each (start, end) of ranges, the matches
 * of tokens._BREAK_RE, ([-\u2010\u00ad])[^\S\r\n]*(?:\r\n|\r|\n)\s*(?=\w),
 * searched as re does within the range, whose hyphen comes right after a
 * letter or digit; each as (hyphen offset, match end, soft: a soft hyphen). */
static PyObject *
line_break_hyphens(PyObject *self, PyObject *args)
{
    PyObject *text, *ranges;
    if (!PyArg_ParseTuple(args, "UO!:line_break_hyphens", &text, &PyList_Type, &ranges))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(ranges); r++) {
        Py_ssize_t start, end;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(ranges, r), "nn", &start, &end)) {
            Py_DECREF(found);
            return NULL;
        }
        if (start < 0)
            start = 0;
        if (end > length)
            end = length;
        for (Py_ssize_t i = start; i < end; i++) {
            i = next_hyphen(kind, data, i, end);  /* (most of the time goes here: a loop per kind) */
            if (i >= end)
                break;
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            Py_ssize_t k = i + 1;
            while (k < end) {  /* [^\S\r\n]* */
                Py_UCS4 w = PyUnicode_READ(kind, data, k);
                if (w == '\r' || w == '\n' || !ISSPACE(w))
                    break;
                k++;
            }
            if (k >= end || (PyUnicode_READ(kind, data, k) != '\r' && PyUnicode_READ(kind, data, k) != '\n'))
                continue;
            while (k < end && ISSPACE(PyUnicode_READ(kind, data, k)))  /* the line break and \s* */
                k++;
            if (k >= end || !ISWORD(PyUnicode_READ(kind, data, k)))
                continue;  /* (?=\w) within the range */
            if (i > 0 && Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i - 1)) &&
                append_new(found, Py_BuildValue("(nnO)", i, k, c == 0x00ad ? Py_True : Py_False)) < 0) {
                Py_DECREF(found);
                return NULL;
            }
            i = k - 1;  /* matches do not overlap: the search goes on at the end */
        }
    }
    return found;
}

/* A word filter of a text (linebreaks._word_filter_py): a bitmap of
 * WORD_FILTER_BITS bits, low bit first, in which each word of the text (a
 * maximal run of \w characters) sets two bits of the 64-bit FNV-1a hash h
 * of its code points: h % n and (h >> 32) % n.  A word whose two bits are
 * not both set is not a word of the text. */
#define WORD_FILTER_BITS (1 << 21)  /* 256 KB: under 1% false "may be" for 100,000 distinct words */
#define WORD_FILTER_MASK ((uint64_t)WORD_FILTER_BITS - 1)

/* Calls STEP(hash) for each word of text[0:n] (no Python object touched). */
#define FOR_EACH_WORD_HASH(kind, data, n, STEP)                                 \
    do {                                                                        \
        Py_ssize_t i_ = 0;                                                      \
        while (i_ < (n)) {                                                      \
            Py_UCS4 c_ = PyUnicode_READ(kind, data, i_);                        \
            if (!ISWORD(c_)) {                                                  \
                i_++;                                                           \
                continue;                                                       \
            }                                                                   \
            uint64_t h_ = FNV_OFFSET;                                           \
            do                                                                  \
                h_ = (h_ ^ c_) * FNV_PRIME;                                     \
            while (++i_ < (n) && ISWORD(c_ = PyUnicode_READ(kind, data, i_)));  \
            STEP(h_);                                                           \
        }                                                                       \
    } while (0)

/* (Made once per kind of str, as split_text_of_kind is.) */
static ALWAYS_INLINE void
fill_word_filter_of_kind(unsigned char *map, const void *data, Py_ssize_t n, const int kind)
{
#define SET_BITS(h)                                                             \
    do {                                                                        \
        uint64_t x_ = (h) & WORD_FILTER_MASK, y_ = ((h) >> 32) & WORD_FILTER_MASK; \
        map[x_ >> 3] |= (unsigned char)(1u << (x_ & 7));                        \
        map[y_ >> 3] |= (unsigned char)(1u << (y_ & 7));                        \
    } while (0)
    FOR_EACH_WORD_HASH(kind, data, n, SET_BITS);
#undef SET_BITS
}

/* linebreaks._word_filter_py(text): the word filter of text, as bytes;
 * made without the GIL (the judge makes it in a thread of its own). */
static PyObject *
word_filter(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "word_filter: a str is needed");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, WORD_FILTER_BITS / 8);
    if (out == NULL)
        return NULL;
    unsigned char *map = (unsigned char *)PyBytes_AS_STRING(out);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_BEGIN_ALLOW_THREADS
    memset(map, 0, WORD_FILTER_BITS / 8);
    if (kind == PyUnicode_1BYTE_KIND)
        fill_word_filter_of_kind(map, data, n, PyUnicode_1BYTE_KIND);
    else if (kind == PyUnicode_2BYTE_KIND)
        fill_word_filter_of_kind(map, data, n, PyUnicode_2BYTE_KIND);
    else
        fill_word_filter_of_kind(map, data, n, PyUnicode_4BYTE_KIND);
    Py_END_ALLOW_THREADS
    return out;
}

/* linebreaks._may_hold_py(filter, word): whether each word of `word` (each
 * maximal run of \w characters in it) may be a word of the filter's text. */
static PyObject *
may_hold(PyObject *self, PyObject *args)
{
    Py_buffer map;
    PyObject *word;
    if (!PyArg_ParseTuple(args, "y*U:may_hold", &map, &word))
        return NULL;
    if (map.len != WORD_FILTER_BITS / 8) {
        PyBuffer_Release(&map);
        PyErr_SetString(PyExc_ValueError, "may_hold: not a word filter");
        return NULL;
    }
    const unsigned char *bits = map.buf;
    int all = 1;
#define CHECK(h)                                                                \
    do {                                                                        \
        uint64_t x_ = (h) & WORD_FILTER_MASK, y_ = ((h) >> 32) & WORD_FILTER_MASK; \
        all = all && (bits[x_ >> 3] >> (x_ & 7)) & 1 && (bits[y_ >> 3] >> (y_ & 7)) & 1; \
    } while (0)
    FOR_EACH_WORD_HASH(PyUnicode_KIND(word), PyUnicode_DATA(word), PyUnicode_GET_LENGTH(word), CHECK);
#undef CHECK
    PyBuffer_Release(&map);
    return PyBool_FromLong(all);
}
#undef FOR_EACH_WORD_HASH

/* diff.build._formatting_groups_py: the formatting changes of an equal
 * run of keys, old tokens a0..a1 (literal codes ol, gap kinds og) against
 * new ones from b0 (nl, ng), as a flat list of (start, end) offsets into
 * the run; `glued` is tokens.GLUED. */
static PyObject *
formatting_groups(PyObject *self, PyObject *args)
{
    PyObject *ol, *nl, *out = NULL;
    Py_buffer og, ng;
    Py_ssize_t a0, a1, b0;
    int glued;
    if (!PyArg_ParseTuple(args, "UUy*y*nnni:formatting_groups", &ol, &nl, &og, &ng, &a0, &a1, &b0, &glued))
        return NULL;
    Py_ssize_t n = a1 - a0;
    if (a0 < 0 || b0 < 0 || n < 0 || a1 > PyUnicode_GET_LENGTH(ol) || b0 + n > PyUnicode_GET_LENGTH(nl) ||
        a1 > og.len || b0 + n > ng.len) {
        PyErr_SetString(PyExc_ValueError, "formatting_groups: a run outside the token lists");
        goto done;
    }
    int okind = PyUnicode_KIND(ol), nkind = PyUnicode_KIND(nl);
    const void *odata = PyUnicode_DATA(ol), *ndata = PyUnicode_DATA(nl);
    const unsigned char *ogap = (const unsigned char *)og.buf + a0, *ngap = (const unsigned char *)ng.buf + b0;
    unsigned char *marked = PyMem_Calloc(n ? n : 1, 1);
    if (marked == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ(okind, odata, a0 + i) != PyUnicode_READ(nkind, ndata, b0 + i))
            marked[i] = 1;
        if (i && ogap[i] != ngap[i])
            marked[i] = marked[i - 1] = 1;
    }
    out = PyList_New(0);
    Py_ssize_t i = 0, done_at = 0;
    while (out != NULL && i < n) {
        if (!marked[i]) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < n && marked[j])
            j++;
        while (i > done_at && ogap[i] == glued && ngap[i] == glued)
            i--;
        while (j < n && ogap[j] == glued && ngap[j] == glued)
            j++;
        while (j < n && marked[j])
            j++;
        for (int side = 0; side < 2; side++) {
            PyObject *v = PyLong_FromSsize_t(side ? j : i);
            if (v == NULL || PyList_Append(out, v) < 0) {
                Py_XDECREF(v);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(v);
        }
        i = done_at = j;
    }
    PyMem_Free(marked);
done:
    PyBuffer_Release(&og);
    PyBuffer_Release(&ng);
    return out;
}

/* Whether any character of text has its bit set in bitmap (one bit per
 * code point, low bit first: tokens._full_bitmap). */
static PyObject *
has_any(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer bits;
    if (!PyArg_ParseTuple(args, "Uy*:has_any", &text, &bits))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), size = bits.len;
    const unsigned char *map = bits.buf;
    int found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((Py_ssize_t)(c >> 3) < size && (map[c >> 3] >> (c & 7)) & 1) {
            found = 1;
            break;
        }
    }
    PyBuffer_Release(&bits);
    return PyBool_FromLong(found);
}

/* tokens.Tokens.word_prefix of a list of token literals, as bytes of
 * `width`-byte integers (8 by default, for array("q"); 4 for array("i")):
 * prefix[i], the word tokens before token i, a word token being one whose
 * first character is a letter, a digit or "_" (tokens.is_word). */
static PyObject *
word_prefix(PyObject *self, PyObject *args)
{
    PyObject *literals;
    int width = 8;
    if (!PyArg_ParseTuple(args, "O|i:word_prefix", &literals, &width))
        return NULL;
    if (!PyList_Check(literals)) {
        PyErr_SetString(PyExc_TypeError, "word_prefix: a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(literals);
    if (width != 8 && (width != 4 || n >= INT32_MAX)) {
        PyErr_SetString(PyExc_ValueError, "word_prefix: width 8, or 4 for fewer than 2**31 literals");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)width);
    if (out == NULL)
        return NULL;
    int64_t *prefix = (int64_t *)PyBytes_AS_STRING(out), words = 0;
    int32_t *narrow = (int32_t *)PyBytes_AS_STRING(out);
    if (width == 4)
        narrow[0] = 0;
    else
        prefix[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *literal = PyList_GET_ITEM(literals, i);
        if (!PyUnicode_Check(literal) || PyUnicode_GET_LENGTH(literal) == 0) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "word_prefix: a list of non-empty str");
            return NULL;
        }
        Py_UCS4 c = PyUnicode_READ_CHAR(literal, 0);
        words += ISWORD(c) ? 1 : 0;
        if (width == 4)
            narrow[i + 1] = (int32_t)words;
        else
            prefix[i + 1] = words;
    }
    return out;
}

/* bounds[i] of a chunk table's bounds (a list, or any sequence of ints). */
static Py_ssize_t
bound_at(PyObject *bounds, Py_ssize_t i)
{
    if (PyList_Check(bounds))
        return PyLong_AsSsize_t(PyList_GET_ITEM(bounds, i));
    PyObject *item = PySequence_GetItem(bounds, i);
    if (item == NULL)
        return -1;
    Py_ssize_t v = PyLong_AsSsize_t(item);
    Py_DECREF(item);
    return v;
}

/* folding.LIGATURES: the letters NFKC spells a Latin ligature (U+FB00-U+FB06)
 * in, or NULL for any other character. */
static const char *
ligature_letters(Py_UCS4 c)
{
    static const char *const letters[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
    return c >= 0xfb00 && c <= 0xfb06 ? letters[c - 0xfb00] : NULL;
}

/* Chunk data[a:b] folded to its loose key (folding._loose) as it is read,
 * with no key made: *full is the FNV-1a hash of the key, *prefix that of
 * its first LOOSE_PREFIX characters (all of it, if shorter); given
 * prefix_only, the reading stops there and *full is not set.  0 where a
 * character read leaves the chunk to Python (not stable, or any past ASCII
 * without the stable table), else 1. */
#define LOOSE_PREFIX 8
#define LOOSE_ADD(c)                                                                     \
    {                                                                                    \
        h = (h ^ (Py_UCS4)(c)) * FNV_PRIME;                                              \
        if (++n == LOOSE_PREFIX) {                                                       \
            *prefix = h;                                                                 \
            if (prefix_only)                                                             \
                return 1;                                                                \
        }                                                                                \
    }
#define LOOSE_HASH_OF(type)                                                              \
    {                                                                                    \
        const type *d = data;                                                            \
        uint64_t h = FNV_OFFSET;                                                         \
        Py_ssize_t n = 0;                                                                \
        for (Py_ssize_t i = a; i < b; i++) {                                             \
            Py_UCS4 ch = d[i];                                                           \
            if (ch < 128) {                                                              \
                if (!ascii_space[ch] && ch != '-')                                       \
                    LOOSE_ADD(ch)                                                        \
            }                                                                            \
            else if (stable_bits == NULL)                                                \
                return 0;                                                                \
            else if (!(Py_UNICODE_ISSPACE(ch) || ch == 0x00ad || is_dash(ch))) {         \
                const char *spelt = ligature_letters(ch);                                \
                if (spelt != NULL) {                                                     \
                    for (; *spelt; spelt++)                                              \
                        LOOSE_ADD(*spelt)                                                \
                    continue;                                                            \
                }                                                                        \
                if (ch >= stable_below || !((stable_bits[ch >> 3] >> (ch & 7)) & 1))     \
                    return 0;                                                            \
                Py_UCS4 quote = folded_quote(ch);                                        \
                LOOSE_ADD(quote ? quote : ch)                                            \
            }                                                                            \
        }                                                                                \
        if (n < LOOSE_PREFIX)                                                            \
            *prefix = h;                                                                 \
        *full = h;                                                                       \
        return 1;                                                                        \
    }

static Py_UCS4 folded_quote(Py_UCS4 c);

static int
loose_hashes(int kind, const void *data, Py_ssize_t a, Py_ssize_t b, const unsigned char *stable_bits,
             Py_UCS4 stable_below, int prefix_only, uint64_t *prefix, uint64_t *full)
{
    if (kind == PyUnicode_1BYTE_KIND)
        LOOSE_HASH_OF(Py_UCS1)
    if (kind == PyUnicode_2BYTE_KIND)
        LOOSE_HASH_OF(Py_UCS2)
    LOOSE_HASH_OF(Py_UCS4)
}
#undef LOOSE_HASH_OF
#undef LOOSE_ADD

/* tokens.fold_quotes of one character: its ASCII quote, or 0 if it is none. */
static Py_UCS4
folded_quote(Py_UCS4 c)
{
    if (c == 0x2018 || c == 0x2019 || c == 0x201a || c == 0x201b || c == 0x2032)
        return '\'';
    if (c == 0x201c || c == 0x201d || c == 0x201e || c == 0x201f || c == 0x2033)
        return '"';
    return 0;
}

/* A loose key's id: 32 bits of the hash of its first LOOSE_PREFIX
 * characters, then 32 of the hash of all of it (loose_hashes, each
 * fold32'ed), narrowed by the tests' hash mask (so that ids collide), never
 * 0.  The prefix's half comes first so that a look-up for wanted ids reads
 * a chunk's first characters only, unless they are a wanted key's. */
static uint64_t
loose_id_of(uint64_t prefix, uint64_t full)
{
    return (((fold32(prefix) << 32) | fold32(full)) & hash_mask) | 1;
}

/* The prefix's half of the ids of keys with this prefix hash. */
static uint64_t
loose_id_high(uint64_t prefix)
{
    return ((fold32(prefix) << 32) & hash_mask) >> 32;
}

/* An open-addressed set of 64-bit values (0: an empty slot; a value is
 * stored | 1 << 63 where it might be 0). */
static Py_ssize_t
u64_table_slot(const uint64_t *table, Py_ssize_t mask, uint64_t v)  /* v's slot, or the empty one for it */
{
    Py_ssize_t slot = (Py_ssize_t)((v ^ (v >> 29)) & (uint64_t)mask);
    while (table[slot] != 0 && table[slot] != v)
        slot = (slot + 1) & mask;
    return slot;
}

static int
u64_table_has(const uint64_t *table, Py_ssize_t mask, uint64_t v)
{
    return table[u64_table_slot(table, mask, v)] != 0;
}

static void
u64_table_put(uint64_t *table, Py_ssize_t mask, uint64_t v)
{
    table[u64_table_slot(table, mask, v)] = v;
}

/* unmatched_loose and matched_loose (wanted NULL, or the set of wanted
 * ids); lets go of stable.  Returns (chunk indices, their ids as bytes of
 * uint64). */
static PyObject *
chunks_loose(PyObject *text, PyObject *bounds, PyObject *codes, PyObject *other, Py_buffer *stable, PyObject *wanted)
{
    const unsigned char *stable_bits = stable->obj != NULL ? stable->buf : NULL;
    Py_UCS4 stable_below = stable_bits != NULL ? (Py_UCS4)stable->len * 8 : 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(codes), length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t n_bounds = PySequence_Length(bounds);
    if (n_bounds < 0 || n_bounds != 2 * n + 1) {
        if (n_bounds >= 0)
            PyErr_SetString(PyExc_ValueError, "chunk loose keys: bounds and codes do not match");
        if (stable->obj != NULL)
            PyBuffer_Release(stable);
        return NULL;
    }
    unsigned char *present = PyMem_Calloc(0x110000 / 8, 1);
    PyObject *indices = PyList_New(0), *result = NULL;
    Ints ids = {NULL, 0, 0, 8};
    /* An array("q") of bounds is read in place (an int object made for each
     * bound read was a third of a look-up's time). */
    Py_buffer bview = {0};
    const int64_t *qb = NULL;
    if (!PyList_Check(bounds) && PyObject_CheckBuffer(bounds)) {
        if (PyObject_GetBuffer(bounds, &bview, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            PyErr_Clear();
        else if (bview.itemsize == (Py_ssize_t)sizeof(int64_t) && bview.format != NULL && strcmp(bview.format, "q") == 0)
            qb = bview.buf;
        else
            PyBuffer_Release(&bview);
    }
    /* Given `wanted`: its ids, and their prefix halves, in two tables. */
    uint64_t *table = NULL, *highs = NULL;
    Py_ssize_t table_mask = 0;
    if (present == NULL || indices == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (wanted != NULL) {
        Py_ssize_t size = 8;
        while (size < 2 * PySet_GET_SIZE(wanted) + 2)
            size *= 2;
        table = PyMem_Calloc(size, sizeof(uint64_t));
        highs = PyMem_Calloc(size, sizeof(uint64_t));
        if (table == NULL || highs == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        table_mask = size - 1;
        Py_ssize_t pos = 0;
        PyObject *item;
        Py_hash_t ignored;
        while (_PySet_NextEntry(wanted, &pos, &item, &ignored)) {
            uint64_t h = PyLong_Check(item) ? PyLong_AsUnsignedLongLong(item) : 0;
            if (h == (uint64_t)-1 && PyErr_Occurred())
                PyErr_Clear();  /* (not an id: wanted by no chunk) */
            else if (h != 0) {
                u64_table_put(table, table_mask, h);
                u64_table_put(highs, table_mask, (h >> 32) | 1ULL << 63);
            }
        }
    }
    int other_kind = PyUnicode_KIND(other), codes_kind = PyUnicode_KIND(codes), kind = PyUnicode_KIND(text);
    const void *other_data = PyUnicode_DATA(other), *codes_data = PyUnicode_DATA(codes), *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0, m = PyUnicode_GET_LENGTH(other); i < m; i++) {
        Py_UCS4 c = PyUnicode_READ(other_kind, other_data, i);
        present[c >> 3] |= 1 << (c & 7);
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_UCS4 c = PyUnicode_READ(codes_kind, codes_data, k);
        if ((present[c >> 3] >> (c & 7) & 1) != (wanted != NULL))
            continue;  /* (given wanted: the chunks the other text has) */
        Py_ssize_t a = qb ? (Py_ssize_t)qb[2 * k + 1] : bound_at(bounds, 2 * k + 1);
        Py_ssize_t b = qb ? (Py_ssize_t)qb[2 * k + 2] : bound_at(bounds, 2 * k + 2);
        if ((a == -1 || b == -1) && PyErr_Occurred())
            goto done;
        if (a < 0 || b < a || b > length) {
            PyErr_SetString(PyExc_ValueError, "chunk loose keys: bounds out of order or out of range");
            goto done;
        }
        uint64_t prefix, full, h = 0;
        if (wanted != NULL) {  /* (most chunks: their first characters are no wanted key's) */
            if (!loose_hashes(kind, data, a, b, stable_bits, stable_below, 1, &prefix, &full) ||
                !u64_table_has(highs, table_mask, loose_id_high(prefix) | 1ULL << 63))
                continue;
        }
        if (loose_hashes(kind, data, a, b, stable_bits, stable_below, 0, &prefix, &full))
            h = loose_id_of(prefix, full);  /* (else 0: a chunk left to Python) */
        if (wanted != NULL && (h == 0 || !u64_table_has(table, table_mask, h)))
            continue;
        if (append_new(indices, PyLong_FromSsize_t(k)) < 0 || ints_push(&ids, (int64_t)h) < 0)
            goto done;
    }
    result = Py_BuildValue("(ON)", indices, ints_bytes(&ids));
done:
    PyMem_Free(present);
    PyMem_Free(table);
    PyMem_Free(highs);
    if (qb != NULL)
        PyBuffer_Release(&bview);
    Py_XDECREF(indices);
    Py_XDECREF(ids.bytes);
    if (stable->obj != NULL)
        PyBuffer_Release(stable);
    return result;
}

/* folding._loose_id_py: the id of a loose key (a str), as chunks_loose
 * gives a chunk's. */
static PyObject *
loose_id(PyObject *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "loose_id: a str");
        return NULL;
    }
    uint64_t h = FNV_OFFSET, prefix = FNV_OFFSET;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ PyUnicode_READ_CHAR(arg, i)) * FNV_PRIME;
        if (i + 1 == LOOSE_PREFIX)
            prefix = h;
    }
    return PyLong_FromUnsignedLongLong(loose_id_of(n < LOOSE_PREFIX ? h : prefix, h));
}

/* folding._unmatched_loose_ids_py(text, bounds, codes, other_codes[, stable]):
 * the chunks of one text whose code the other text's codes lack, and the
 * id (loose_id) of each one's loose key (folding._loose) where the chunk
 * is ASCII, or (given `stable`, folding._stable_bitmap: one bit per code
 * point below STABLE_BELOW) where each of its characters past ASCII is
 * whitespace, a soft hyphen, a dash, a Latin ligature or stable (its own
 * NFKC, composing with nothing), else 0.  Such a chunk is its own NFKC
 * (ligatures spelt out): its key is the chunk less its whitespace
 * (str.split's), soft hyphens and dashes (tokens._DASHES), quotes folded
 * (tokens.fold_quotes), hashed as it is read: no key is made. */
static PyObject *
unmatched_loose(PyObject *self, PyObject *args)
{
    PyObject *text, *bounds, *codes, *other;
    Py_buffer stable = {0};
    if (!PyArg_ParseTuple(args, "UOUU|y*:unmatched_loose", &text, &bounds, &codes, &other, &stable))
        return NULL;
    return chunks_loose(text, bounds, codes, other, &stable, NULL);
}

/* folding._matched_loose_ids_py(text, bounds, codes, other_codes, stable,
 * wanted): the other way round, the chunks whose code the other text's
 * codes have, that are ASCII or stable, and whose loose key's id is one of
 * the set wanted, with those ids. */
static PyObject *
matched_loose(PyObject *self, PyObject *args)
{
    PyObject *text, *bounds, *codes, *other, *wanted;
    Py_buffer stable = {0};
    if (!PyArg_ParseTuple(args, "UOUUy*O!:matched_loose", &text, &bounds, &codes, &other, &stable, &PySet_Type,
                          &wanted))
        return NULL;
    return chunks_loose(text, bounds, codes, other, &stable, wanted);
}

/* For the tests: keep only these bits of each chunk key's and token's hash,
 * so that different ones share hashes and must be told apart character by
 * character. */
static PyObject *
set_hash_mask(PyObject *self, PyObject *arg)
{
    unsigned long long mask = PyLong_AsUnsignedLongLong(arg);
    if (mask == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    hash_mask = mask;
    Py_RETURN_NONE;
}

/* Big blocks always from mmap, so that a freed one goes back to the system
 * at once.  glibc otherwise raises its mmap threshold to the size of each
 * mmap'ed block freed (up to 32 MB): after the chunk pass frees its tables,
 * every later array under that size comes from the heap, whose freed pages
 * stay resident (a 16 MB one-line diff peaked 22 MB higher). */
#ifdef __GLIBC__
#include <malloc.h>
#endif
static PyObject *
mmap_big_blocks(PyObject *self, PyObject *arg)
{
    Py_ssize_t threshold = PyLong_AsSsize_t(arg);
    if (threshold == -1 && PyErr_Occurred())
        return NULL;
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    if (threshold > 0 && threshold <= INT_MAX && mallopt(M_MMAP_THRESHOLD, (int)threshold) == 1)
        Py_RETURN_TRUE;
#endif
    Py_RETURN_FALSE;
}

/* --- compact token lists (tokens.py): keys encoded with their vocabulary, gap kinds from the offsets --- */

/* A list of keys encoded (key_code), written straight into the str (2
 * bytes a key, widened to 4 from the 65,536th distinct key, narrowed to 1
 * when fewer than 256): no buffer of 4 bytes a key beside it. */
static PyObject *
encode_list_into_str(PyObject *keys, KeyTable *t, Py_UCS4 *next)
{
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyUnicode_New(n, 0xFFFF);
    if (out == NULL)
        return NULL;
    int kind = PyUnicode_KIND(out);
    void *data = PyUnicode_DATA(out);
    Py_UCS4 most = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_UCS4 code;
        if (key_code(t, PyList_GET_ITEM(keys, k), next, &code) < 0)
            goto fail;
        if (code > 0xFFFF && kind == PyUnicode_2BYTE_KIND) {
            PyObject *wide = PyUnicode_New(n, 0x10FFFF);
            if (wide == NULL)
                goto fail;
            for (Py_ssize_t j = 0; j < k; j++)
                PyUnicode_WRITE(PyUnicode_4BYTE_KIND, PyUnicode_DATA(wide), j, PyUnicode_READ(kind, data, j));
            Py_DECREF(out);
            out = wide;
            kind = PyUnicode_4BYTE_KIND;
            data = PyUnicode_DATA(out);
        }
        PyUnicode_WRITE(kind, data, k, code);
        most = code > most ? code : most;
    }
    if (n && most < 256) {  /* a str is always of the narrowest kind that holds it */
        PyObject *narrow = PyUnicode_FromKindAndData(kind, data, n);
        Py_DECREF(out);
        return narrow;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* codes.encode_keys (its codes), and the distinct keys in the order of
 * their codes (the key of code c is vocabulary[codes.code_index(c)]): the
 * key lists can go once encoded. */
static PyObject *
encode_keys_vocab(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "O!O!:encode_keys_vocab", &PyList_Type, &a, &PyList_Type, &b))
        return NULL;
    KeyTable table = {PyMem_Calloc(1024, sizeof(KeySlot)), 1023, 0};
    PyObject *sa = NULL, *sb = NULL, *vocab = NULL, *result = NULL;
    Py_UCS4 next = 1;
    if (table.slots == NULL)
        PyErr_NoMemory();
    else if ((sa = encode_list_into_str(a, &table, &next)) != NULL &&
             (sb = encode_list_into_str(b, &table, &next)) != NULL &&
             (vocab = PyList_New((Py_ssize_t)table.used)) != NULL) {
        for (size_t i = 0; i <= table.mask; i++) {
            KeySlot *slot = &table.slots[i];
            if (slot->key == NULL)
                continue;
            Py_ssize_t k = slot->code < 0xE000 ? slot->code - 1 : slot->code - 0x801;
            Py_INCREF(slot->key);
            PyList_SET_ITEM(vocab, k, slot->key);
        }
        result = PyTuple_Pack(3, sa, sb, vocab);
    }
    Py_XDECREF(sa);
    Py_XDECREF(sb);
    Py_XDECREF(vocab);
    PyMem_Free(table.slots);
    return result;
}

/* The slot of `key` in t, or NULL (with *error set, and an exception,
 * for a key that is not a str). */
static KeySlot *
key_find(KeyTable *t, PyObject *key, int *error)
{
    *error = 0;
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "encode_keys: keys must be str");
        *error = 1;
        return NULL;
    }
    Py_hash_t hash = PyObject_Hash(key);
    if (hash == -1) {
        *error = 1;
        return NULL;
    }
    for (size_t at = (size_t)hash & t->mask;; at = (at + 1) & t->mask) {
        KeySlot *slot = &t->slots[at];
        if (slot->key == NULL)
            return NULL;
        if (slot->key == key || (slot->hash == hash && PyUnicode_Compare(slot->key, key) == 0))
            return slot;
    }
}

/* encode_with for keys fewer than the vocabulary (the line-break joins'
 * few thousand against tens of thousands of words): the table holds the
 * keys only, and the vocabulary is scanned for them.  A table of the whole
 * vocabulary was a comparison's peak (9 MB at 4 MB, a PDF's text against a
 * web page's).  The same codes; a vocabulary that holds a key twice is
 * refused where one of the keys is that key. */
static PyObject *
encode_few(PyObject *keys, PyObject *vocab)
{
    Py_ssize_t known = PyList_GET_SIZE(vocab), added = 0, *place = NULL;
    KeyTable table = {PyMem_Calloc(1024, sizeof(KeySlot)), 1023, 0};
    PyObject *out = NULL, *fresh = NULL;
    Py_UCS4 next = 1, code;
    int error;
    if (table.slots == NULL)
        return PyErr_NoMemory();
    /* Each distinct key, numbered in order of first appearance (its code
     * for now: index_of_code gives the number). */
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(keys); k++)
        if (key_code(&table, PyList_GET_ITEM(keys, k), &next, &code) < 0)
            goto done;
    if ((place = PyMem_Malloc((table.used ? table.used : 1) * sizeof(Py_ssize_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t j = 0; j < table.used; j++)
        place[j] = -1;
    for (Py_ssize_t k = 0; k < known; k++) {
        KeySlot *slot = key_find(&table, PyList_GET_ITEM(vocab, k), &error);
        if (error)
            goto done;
        if (slot == NULL)
            continue;
        Py_ssize_t j = index_of_code(slot->code);
        if (place[j] >= 0) {
            PyErr_SetString(PyExc_ValueError, "encode_with: the vocabulary holds a key twice");
            goto done;
        }
        place[j] = k;
    }
    for (size_t j = 0; j < table.used; j++)  /* new keys: the next places, in order of first appearance */
        if (place[j] < 0)
            place[j] = known + added++;
    if (added > 0 && code_of_index(known + added - 1) == 0) {
        PyErr_SetString(PyExc_ValueError, "more distinct keys than Unicode has characters");
        goto done;
    }
    if ((fresh = PyList_New(added)) == NULL)
        goto done;
    for (size_t i = 0; i <= table.mask; i++) {
        KeySlot *slot = &table.slots[i];
        if (slot->key == NULL)
            continue;
        Py_ssize_t k = place[index_of_code(slot->code)];
        if (k >= known) {
            Py_INCREF(slot->key);
            PyList_SET_ITEM(fresh, k - known, slot->key);
        }
        slot->code = code_of_index(k);
    }
    if ((out = encode_list_into_str(keys, &table, &next)) == NULL)  /* (every key found: none added) */
        goto done;
    if (added > 0 && PyList_SetSlice(vocab, known, known, fresh) < 0)
        Py_CLEAR(out);
done:
    Py_XDECREF(fresh);
    PyMem_Free(place);
    PyMem_Free(table.slots);
    return out;
}

/* codes._encode_with_py: a list of keys encoded in the codes of a
 * vocabulary (code_of_index of each key's place in it), keys new to it
 * appended to it in order of first appearance: one table for both texts'
 * keys, filled a side at a time. */
static PyObject *
encode_with(PyObject *self, PyObject *args)
{
    PyObject *keys, *vocab, *out = NULL, *fresh = NULL;
    if (!PyArg_ParseTuple(args, "O!O!:encode_with", &PyList_Type, &keys, &PyList_Type, &vocab))
        return NULL;
    Py_ssize_t known = PyList_GET_SIZE(vocab);
    if (PyList_GET_SIZE(keys) < known)
        return encode_few(keys, vocab);
    KeyTable table = {PyMem_Calloc(1024, sizeof(KeySlot)), 1023, 0};
    Py_UCS4 next = 1, code;
    if (table.slots == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t k = 0; k < known; k++) {
        if (key_code(&table, PyList_GET_ITEM(vocab, k), &next, &code) < 0)
            goto done;
        if (table.used != (size_t)k + 1) {
            PyErr_SetString(PyExc_ValueError, "encode_with: the vocabulary holds a key twice");
            goto done;
        }
    }
    if ((out = encode_list_into_str(keys, &table, &next)) == NULL)
        goto done;
    Py_ssize_t added = (Py_ssize_t)table.used - known;
    if (added > 0) {
        if ((fresh = PyList_New(added)) == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        for (size_t i = 0; i <= table.mask; i++) {
            KeySlot *slot = &table.slots[i];
            Py_ssize_t k = slot->key == NULL ? -1 : index_of_code(slot->code);
            if (k < known)
                continue;
            Py_INCREF(slot->key);
            PyList_SET_ITEM(fresh, k - known, slot->key);
        }
        if (PyList_SetSlice(vocab, known, known, fresh) < 0)
            Py_CLEAR(out);
    }
done:
    Py_XDECREF(fresh);
    PyMem_Free(table.slots);
    return out;
}

/* A str of the narrowest kind for its characters (every str must be). */
static PyObject *
narrowest(PyObject *out, Py_UCS4 most)
{
    Py_UCS4 room = most < 128 ? 127 : most < 256 ? 255 : most < 65536 ? 0xFFFF : 0x10FFFF;
    if (room == PyUnicode_MAX_CHAR_VALUE(out))
        return out;
    PyObject *narrow = PyUnicode_FromKindAndData(PyUnicode_KIND(out), PyUnicode_DATA(out), PyUnicode_GET_LENGTH(out));
    Py_DECREF(out);
    return narrow;
}

/* codes._map_codes_py: each code c of `codes` replaced by the character of
 * `table` at its place (index_of_code(c)): one side's key codes from its
 * literal codes and a table of each literal's key code. */
static PyObject *
map_codes(PyObject *self, PyObject *args)
{
    PyObject *codes, *table;
    if (!PyArg_ParseTuple(args, "UU:map_codes", &codes, &table))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(codes), size = PyUnicode_GET_LENGTH(table);
    int kind = PyUnicode_KIND(codes), table_kind = PyUnicode_KIND(table);
    const void *data = PyUnicode_DATA(codes), *table_data = PyUnicode_DATA(table);
    PyObject *out = PyUnicode_New(n, PyUnicode_MAX_CHAR_VALUE(table));
    if (out == NULL)
        return NULL;
    int out_kind = PyUnicode_KIND(out);
    void *out_data = PyUnicode_DATA(out);
    Py_UCS4 most = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t k = index_of_code(PyUnicode_READ(kind, data, i));
        if (k < 0 || k >= size) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "map_codes: a code with no place in the table");
            return NULL;
        }
        Py_UCS4 c = PyUnicode_READ(table_kind, table_data, k);
        PyUnicode_WRITE(out_kind, out_data, i, c);
        most = c > most ? c : most;
    }
    return narrowest(out, most);
}

/* codes._flag_prefix_py: prefix[i], how many of codes[:i] have a flag set
 * (flags: a byte for each place of a vocabulary), as bytes of `width`-byte
 * integers (8 by default; 4 for array("i")): the word prefix of a token
 * list whose literals are codes. */
static PyObject *
flag_prefix(PyObject *self, PyObject *args)
{
    PyObject *codes, *out = NULL;
    Py_buffer flags;
    int width = 8;
    if (!PyArg_ParseTuple(args, "Uy*|i:flag_prefix", &codes, &flags, &width))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(codes);
    int kind = PyUnicode_KIND(codes);
    const void *data = PyUnicode_DATA(codes);
    const unsigned char *flag = flags.buf;
    if (width != 8 && (width != 4 || n >= INT32_MAX)) {
        PyErr_SetString(PyExc_ValueError, "flag_prefix: width 8, or 4 for fewer than 2**31 codes");
        goto done;
    }
    if ((out = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)width)) == NULL)
        goto done;
    int64_t *wide = (int64_t *)PyBytes_AS_STRING(out), count = 0;
    int32_t *narrow = (int32_t *)PyBytes_AS_STRING(out);
    if (width == 4)
        narrow[0] = 0;
    else
        wide[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t k = index_of_code(PyUnicode_READ(kind, data, i));
        if (k < 0 || k >= flags.len) {
            Py_CLEAR(out);
            PyErr_SetString(PyExc_ValueError, "flag_prefix: a code with no flag");
            goto done;
        }
        count += flag[k] != 0;
        if (width == 4)
            narrow[i + 1] = (int32_t)count;
        else
            wide[i + 1] = count;
    }
done:
    PyBuffer_Release(&flags);
    return out;
}

/* codes._flag_count_py: how many of codes[start:end] have their flag set
 * (flags: a byte for each place of a vocabulary): the words of a range of
 * tokens whose literals are codes, with no count kept for every token. */
static PyObject *
flag_count(PyObject *self, PyObject *args)
{
    PyObject *codes;
    Py_buffer flags;
    Py_ssize_t start, end, count = 0;
    if (!PyArg_ParseTuple(args, "Uy*nn:flag_count", &codes, &flags, &start, &end))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(codes);
    int kind = PyUnicode_KIND(codes);
    const void *data = PyUnicode_DATA(codes);
    const unsigned char *flag = flags.buf;
    start = start < 0 ? 0 : start;  /* (as a slice's bounds) */
    end = end > n ? n : end;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_ssize_t k = index_of_code(PyUnicode_READ(kind, data, i));
        if (k < 0 || k >= flags.len) {
            PyBuffer_Release(&flags);
            PyErr_SetString(PyExc_ValueError, "flag_count: a code with no flag");
            return NULL;
        }
        count += flag[k] != 0;
    }
    PyBuffer_Release(&flags);
    return PyLong_FromSsize_t(count);
}

/* codes._code_flags_py: a byte for each of `size` places of a vocabulary,
 * 1 where codes holds its code: the distinct keys of a side, with no str
 * made per token (set() of a str of codes made one per character). */
static PyObject *
code_flags(PyObject *self, PyObject *args)
{
    PyObject *codes;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "Un:code_flags", &codes, &size))
        return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "code_flags: a size of 0 or more");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(codes);
    int kind = PyUnicode_KIND(codes);
    const void *data = PyUnicode_DATA(codes);
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL)
        return NULL;
    unsigned char *flags = (unsigned char *)PyBytes_AS_STRING(out);
    memset(flags, 0, size);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t k = index_of_code(PyUnicode_READ(kind, data, i));
        if (k < 0 || k >= size) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "code_flags: a code with no place in the vocabulary");
            return NULL;
        }
        flags[k] = 1;
    }
    return out;
}

/* The kind of the gap text[a:b] (tokens.gap_kind): GLUED (empty),
 * FURNITURE (not all whitespace), PARAGRAPH (two line breaks, a CRLF
 * counting as one, or a paragraph separator), SPACE. */
static char
gap_kind_of(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    if (a == b)
        return 0;
    int breaks = 0, separator = 0;
    for (Py_ssize_t j = a; j < b; j++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        if (!ISSPACE(c))
            return 3;
        if (c == '\r') {
            breaks++;
            if (j + 1 < b && PyUnicode_READ(kind, data, j + 1) == '\n')
                j++;
        }
        else if (c == '\n')
            breaks++;
        else if (c == 0x2029)
            separator = 1;
    }
    return separator || breaks >= 2 ? 2 : 1;
}

/* An array("i") or array("q") of offsets: its buffer and item size. */
static int
offsets_view(PyObject *offsets, Py_buffer *view)
{
    if (PyObject_GetBuffer(offsets, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->format == NULL || !((strcmp(view->format, "i") == 0 && view->itemsize == 4) ||
                                  (strcmp(view->format, "q") == 0 && view->itemsize == 8))) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "gap_kinds: offsets must be an array('i') or array('q')");
        return -1;
    }
    return 0;
}

#define OFFSET_AT(view, i) ((view).itemsize == 4 ? (Py_ssize_t)((const int32_t *)(view).buf)[i] \
                                                 : (Py_ssize_t)((const int64_t *)(view).buf)[i])

/* tokens.Tokens.gap_kinds from the text and the token offsets alone: the
 * kind of text[ends[i - 1]:starts[i]] (text[:starts[0]] for the first), a
 * byte each.  No gap is made as a str. */
static PyObject *
gap_kinds(PyObject *self, PyObject *args)
{
    PyObject *text, *starts, *ends, *out = NULL;
    if (!PyArg_ParseTuple(args, "UOO:gap_kinds", &text, &starts, &ends))
        return NULL;
    Py_buffer sv, ev;
    if (offsets_view(starts, &sv) < 0)
        return NULL;
    if (offsets_view(ends, &ev) < 0) {
        PyBuffer_Release(&sv);
        return NULL;
    }
    Py_ssize_t n = sv.len / sv.itemsize, length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (ev.len / ev.itemsize != n) {
        PyErr_SetString(PyExc_ValueError, "gap_kinds: as many starts as ends");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL)
        goto done;
    char *kinds = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t a = i ? OFFSET_AT(ev, i - 1) : 0, b = OFFSET_AT(sv, i);
        if (a < 0 || b < a || b > length) {
            PyErr_SetString(PyExc_ValueError, "gap_kinds: offsets out of order or out of range");
            Py_CLEAR(out);
            goto done;
        }
        kinds[i] = gap_kind_of(kind, data, a, b);
    }
done:
    PyBuffer_Release(&sv);
    PyBuffer_Release(&ev);
    return out;
}

/* --- regions_of: (op, n) runs as regions' columns ---------------------------- */

/* Overwrite the last value pushed. */
static void
ints_set_last(Ints *v, int64_t x)
{
    char *at = PyBytes_AS_STRING(v->bytes);
    if (v->width == 4)
        ((int32_t *)at)[v->n - 1] = (int32_t)x;
    else
        ((int64_t *)at)[v->n - 1] = x;
}

/* regions._regions_py: the regions of (op, n) runs given as an iterable of
 * lists of them, as five bytes objects: equal (a byte each, 0 or 1) and
 * a0, a1, b0, b1 (`width`-byte integers: 4 for array("i"), 8 for "q"). */
static PyObject *
regions_of(PyObject *self, PyObject *args)
{
    PyObject *pieces;
    int width;
    if (!PyArg_ParseTuple(args, "Oi:regions_of", &pieces, &width))
        return NULL;
    if (width != 4 && width != 8) {
        PyErr_SetString(PyExc_ValueError, "regions_of: width 4 or 8");
        return NULL;
    }
    int64_t limit = width == 4 ? INT32_MAX : INT64_MAX;
    Ints equal = {NULL, 0, 0, 1}, a0 = {NULL, 0, 0, width}, a1 = {NULL, 0, 0, width}, b0 = {NULL, 0, 0, width},
         b1 = {NULL, 0, 0, width};
    PyObject *it = PyObject_GetIter(pieces), *piece = NULL, *result = NULL;
    if (it == NULL)
        return NULL;
    int64_t a = 0, b = 0;
    int changing = 0, last_equal = 0;  /* the last region is a change still growing; an equal one */
    while ((piece = PyIter_Next(it)) != NULL) {
        PyObject *seq = PySequence_Fast(piece, "regions_of: each piece must be a list of (op, n)");
        Py_DECREF(piece);
        if (seq == NULL)
            goto done;
        for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, k), *op;
            Py_ssize_t n;
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyUnicode_Check(op = PyTuple_GET_ITEM(item, 0)) ||
                PyUnicode_GET_LENGTH(op) != 1) {
                PyErr_SetString(PyExc_TypeError, "regions_of: each piece must be a list of (op, n)");
                Py_DECREF(seq);
                goto done;
            }
            if ((n = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 1))) == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                goto done;
            }
            Py_UCS4 c = PyUnicode_READ_CHAR(op, 0);
            if (n < 0 || (c != '=' && c != '-' && c != '+') || n > limit - (a > b ? a : b)) {
                PyErr_SetString(PyExc_ValueError, "regions_of: an op is not =, - or +, or a count is negative or too large");
                Py_DECREF(seq);
                goto done;
            }
            if (n == 0)
                continue;
            int failed = 0;
            if (c == '=') {
                if (last_equal) {  /* (where two pieces meet) */
                    a += n;
                    b += n;
                    ints_set_last(&a1, a);
                    ints_set_last(&b1, b);
                    continue;
                }
                failed = ints_push(&equal, 1) || ints_push(&a0, a) || ints_push(&b0, b) ||
                         ints_push(&a1, a + n) || ints_push(&b1, b + n);
                a += n;
                b += n;
                changing = 0;
                last_equal = 1;
            }
            else {
                if (!changing) {
                    failed = ints_push(&equal, 0) || ints_push(&a0, a) || ints_push(&a1, a) || ints_push(&b0, b) ||
                             ints_push(&b1, b);
                    changing = 1;
                    last_equal = 0;
                }
                if (!failed && c == '-') {
                    a += n;
                    ints_set_last(&a1, a);
                }
                else if (!failed) {
                    b += n;
                    ints_set_last(&b1, b);
                }
            }
            if (failed) {
                Py_DECREF(seq);
                goto done;
            }
        }
        Py_DECREF(seq);
    }
    if (PyErr_Occurred())
        goto done;
    PyObject *cols[5] = {ints_bytes(&equal), ints_bytes(&a0), ints_bytes(&a1), ints_bytes(&b0), ints_bytes(&b1)};
    if (cols[0] && cols[1] && cols[2] && cols[3] && cols[4])
        result = PyTuple_Pack(5, cols[0], cols[1], cols[2], cols[3], cols[4]);
    for (int i = 0; i < 5; i++)
        Py_XDECREF(cols[i]);
done:
    Py_DECREF(it);
    Py_XDECREF(equal.bytes);
    Py_XDECREF(a0.bytes);
    Py_XDECREF(a1.bytes);
    Py_XDECREF(b0.bytes);
    Py_XDECREF(b1.bytes);
    return result;
}


/* Classes of ASCII characters for may_fold. */
enum { FOLD_SPACE = 1, FOLD_HYPHEN = 2, FOLD_OPENER = 4, FOLD_GLUED_AFTER = 8 };
static const unsigned char FOLD_CLASS[128] = {
    ['\t'] = FOLD_SPACE, ['\n'] = FOLD_SPACE, ['\v'] = FOLD_SPACE, ['\f'] = FOLD_SPACE, ['\r'] = FOLD_SPACE,
    [0x1c] = FOLD_SPACE, [0x1d] = FOLD_SPACE, [0x1e] = FOLD_SPACE, [0x1f] = FOLD_SPACE, [' '] = FOLD_SPACE,
    ['-'] = FOLD_HYPHEN, ['('] = FOLD_OPENER, ['['] = FOLD_OPENER, ['{'] = FOLD_OPENER,
    [','] = FOLD_GLUED_AFTER, [';'] = FOLD_GLUED_AFTER, [':'] = FOLD_GLUED_AFTER, ['!'] = FOLD_GLUED_AFTER,
    ['?'] = FOLD_GLUED_AFTER, [')'] = FOLD_GLUED_AFTER, [']'] = FOLD_GLUED_AFTER, ['}'] = FOLD_GLUED_AFTER,
    ['.'] = FOLD_GLUED_AFTER,
};

/* The typography characters of may_fold: a bitmap of the BMP, those past
 * it looked for one by one. */
typedef struct {
    unsigned char *bits;
    PyObject *chars;
} TypoSet;

static int
typo_set_init(TypoSet *set)
{
    set->bits = PyMem_Calloc(0x10000 / 8, 1);
    if (set->bits == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int tkind = PyUnicode_KIND(set->chars);
    const void *tdata = PyUnicode_DATA(set->chars);
    for (Py_ssize_t t = 0; t < PyUnicode_GET_LENGTH(set->chars); t++) {
        Py_UCS4 tc = PyUnicode_READ(tkind, tdata, t);
        if (tc < 0x10000)
            set->bits[tc >> 3] |= (unsigned char)(1 << (tc & 7));
    }
    return 0;
}

/* Whether folding may act at text[i] of a chunk ending at b (may_fold's
 * spots: folding._may_fold_py's pattern). */
static int
fold_spot(const TypoSet *set, int kind, const void *data, Py_ssize_t i, Py_ssize_t b)
{
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    if (ch >= 128) {
        int spot = 0;
        if (ch < 0x10000)
            spot = (set->bits[ch >> 3] >> (ch & 7)) & 1;
        else {
            int tkind = PyUnicode_KIND(set->chars);
            const void *tdata = PyUnicode_DATA(set->chars);
            for (Py_ssize_t t = 0; t < PyUnicode_GET_LENGTH(set->chars) && !spot; t++)
                spot = PyUnicode_READ(tkind, tdata, t) == ch;
        }
        if (!spot && Py_UNICODE_ISSPACE(ch) && i + 1 < b) {
            Py_UCS4 next = PyUnicode_READ(kind, data, i + 1);
            spot = next < 128 && (FOLD_CLASS[next] & FOLD_GLUED_AFTER);
        }
        return spot;
    }
    unsigned char cls = FOLD_CLASS[ch];
    if (!cls)
        return 0;  /* (most characters) */
    Py_UCS4 next = i + 1 < b ? PyUnicode_READ(kind, data, i + 1) : 0;
    if (cls & FOLD_HYPHEN) {
        if (next == '-')
            return 1;
        for (Py_ssize_t j = i + 1; j < b; j++) {  /* [^\S\r\n]* then \r or \n */
            Py_UCS4 w = PyUnicode_READ(kind, data, j);
            if (w == '\r' || w == '\n')
                return 1;
            if (!ISSPACE(w))
                return 0;
        }
        return 0;
    }
    if (cls & FOLD_OPENER)
        return next != 0 && ISSPACE(next);
    return (cls & FOLD_SPACE) && next != 0 && next < 128 && (FOLD_CLASS[next] & FOLD_GLUED_AFTER);
}

/* The first offset from i (before b) of a character past ASCII or of an
 * ASCII one of FOLD_CLASS: where fold_spot may say yes; b if none (a loop
 * per string kind: most characters are skipped here). */
static Py_ssize_t
next_fold_candidate(int kind, const void *data, Py_ssize_t i, Py_ssize_t b)
{
#define SKIP(type) { const type *d = data; while (i < b && d[i] < 128 && !FOLD_CLASS[d[i]]) i++; return i; }
    switch (kind) {
    case PyUnicode_1BYTE_KIND: SKIP(Py_UCS1)
    case PyUnicode_2BYTE_KIND: SKIP(Py_UCS2)
    default: SKIP(Py_UCS4)
    }
#undef SKIP
}

/* folding._may_fold_py: of the chunks (a list of indices into bounds,
 * tokens.chunk_codes' bounds), where something may make the folded words
 * other than the whitespace-separated ones: the offsets of each character
 * of `typography` (quotes, dashes, the soft hyphen), of each "-" before
 * another or before a line break (spaces between), of each whitespace
 * before one of ",;:!?)]}." and of each of "([{" before whitespace.
 * Returns ({chunk: [offsets]} for the chunks with any, [the other chunks
 * with a character past ASCII] (NFKC may change them: the caller asks)). */
static PyObject *
may_fold(PyObject *self, PyObject *args)
{
    PyObject *text, *bounds_obj, *chunks, *typography;
    if (!PyArg_ParseTuple(args, "UOO!U:may_fold", &text, &bounds_obj, &PyList_Type, &chunks, &typography))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(bounds_obj, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    if (view.itemsize != sizeof(int64_t) || view.format == NULL || strcmp(view.format, "q") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "may_fold: bounds must be an array('q')");
        return NULL;
    }
    const int64_t *bounds = view.buf;
    Py_ssize_t nb = view.len / (Py_ssize_t)sizeof(int64_t), length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    TypoSet typo_set = {NULL, typography};
    PyObject *spots = PyDict_New(), *non_ascii = PyList_New(0), *found = NULL;
    if (typo_set_init(&typo_set) < 0 || spots == NULL || non_ascii == NULL)
        goto fail;
    for (Py_ssize_t c = 0; c < PyList_GET_SIZE(chunks); c++) {
        PyObject *item = PyList_GET_ITEM(chunks, c);
        Py_ssize_t k = PyLong_AsSsize_t(item);
        if (k == -1 && PyErr_Occurred())
            goto fail;
        if (k < 0 || 2 * k + 2 >= nb || bounds[2 * k + 1] < 0 || bounds[2 * k + 2] > length ||
                bounds[2 * k + 1] > bounds[2 * k + 2]) {
            PyErr_SetString(PyExc_ValueError, "may_fold: a chunk out of range");
            goto fail;
        }
        Py_ssize_t a = (Py_ssize_t)bounds[2 * k + 1], b = (Py_ssize_t)bounds[2 * k + 2];
        int wide = 0;
        for (Py_ssize_t i = next_fold_candidate(kind, data, a, b); i < b; i = next_fold_candidate(kind, data, i + 1, b)) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            wide |= ch >= 128;
            int spot = fold_spot(&typo_set, kind, data, i, b);
            if (!spot)
                continue;
            if (found == NULL && (found = PyList_New(0)) == NULL)
                goto fail;
            PyObject *at = PyLong_FromSsize_t(i);
            if (at == NULL || PyList_Append(found, at) < 0) {
                Py_XDECREF(at);
                goto fail;
            }
            Py_DECREF(at);
        }
        if (found != NULL) {
            if (PyDict_SetItem(spots, item, found) < 0)
                goto fail;
            Py_CLEAR(found);
        }
        else if (wide && PyList_Append(non_ascii, item) < 0)
            goto fail;
    }
    PyBuffer_Release(&view);
    PyMem_Free(typo_set.bits);
    PyObject *result = PyTuple_Pack(2, spots, non_ascii);
    Py_DECREF(spots);
    Py_DECREF(non_ascii);
    return result;
fail:
    PyBuffer_Release(&view);
    PyMem_Free(typo_set.bits);
    Py_XDECREF(found);
    Py_XDECREF(spots);
    Py_XDECREF(non_ascii);
    return NULL;
}

/* Whether the word ending just before text[i] ends in a hyphen (or U+2010,
 * or a soft hyphen) at a line end: [^\S\r\n]* then \r or \n follows. */
static int
line_end_hyphen(SpanSide *side, Py_ssize_t i, Py_ssize_t end)
{
    Py_UCS4 c = PyUnicode_READ(side->kind, side->data, i - 1);
    if (c != '-' && c != 0x2010 && c != 0xAD)
        return 0;
    for (; i < end; i++) {
        Py_UCS4 w = PyUnicode_READ(side->kind, side->data, i);
        if (w == '\r' || w == '\n')
            return 1;
        if (!ISSPACE(w))
            return 0;
    }
    return 0;
}

/* The starts and ends of the words of chunk k, in order (room for all);
 * how many. */
static Py_ssize_t
word_bounds(SpanSide *side, Py_ssize_t k, Py_ssize_t *starts, Py_ssize_t *ends)
{
    Py_ssize_t i = CHUNK_START(side, k), end = CHUNK_END(side, k), n = 0;
    for (;;) {
        while (i < end && ISSPACE(PyUnicode_READ(side->kind, side->data, i)))
            i++;
        if (i == end)
            return n;
        starts[n] = i;
        while (i < end && !ISSPACE(PyUnicode_READ(side->kind, side->data, i)))
            i++;
        ends[n++] = i;
    }
}

/* From a chunk's word bounds: the offset of word m (its end if fewer, its
 * start below 0: growth._start_of_word), and the end of its first m words
 * (its start for none, the last word's end if fewer: growth._end_of_words). */
#define START_OF_WORD(side, k, m, n, starts) \
    ((m) < 0 ? CHUNK_START(side, k) : (m) < (n) ? (starts)[m] : CHUNK_END(side, k))
#define END_OF_WORDS(side, k, m, n, ends) \
    ((m) <= 0 || (n) == 0 ? CHUNK_START(side, k) : (ends)[((m) < (n) ? (m) : (n)) - 1])

typedef struct {
    SpanSide side;
    const TypoSet *typo;
    PyObject *nfkc;        /* callable (text, start, end) -> whether NFKC changes text[start:end] */
    PyObject *text;
    signed char *changes;  /* per chunk: -1 not asked yet, else nfkc's answer */
    signed char *spotted;  /* per chunk: -1 not looked at yet, else whether folding may act anywhere in it */
    Py_ssize_t *starts, *ends;  /* room for one chunk's word bounds */
} FoldSide;

/* Whether NFKC changes chunk k (asked of Python once per chunk); -1 on error. */
static int
nfkc_changes(FoldSide *fs, Py_ssize_t k)
{
    if (fs->changes[k] < 0) {
        PyObject *r = PyObject_CallFunction(fs->nfkc, "Onn", fs->text, CHUNK_START(&fs->side, k), CHUNK_END(&fs->side, k));
        if (r == NULL)
            return -1;
        fs->changes[k] = (signed char)PyObject_IsTrue(r);
        Py_DECREF(r);
    }
    return fs->changes[k];
}

/* Whether folding may act in text[a:b] of chunk k (a spot, or a character
 * past ASCII of a chunk NFKC changes); -1 on error. */
static int
spot_in(FoldSide *fs, Py_ssize_t k, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t end = CHUNK_END(&fs->side, k);
    int wide = 0;
    for (Py_ssize_t i = next_fold_candidate(fs->side.kind, fs->side.data, a, b); i < b;
         i = next_fold_candidate(fs->side.kind, fs->side.data, i + 1, b)) {
        Py_UCS4 ch = PyUnicode_READ(fs->side.kind, fs->side.data, i);
        if (fold_spot(fs->typo, fs->side.kind, fs->side.data, i, end))
            return 1;
        wide |= ch >= 128;
    }
    return wide ? nfkc_changes(fs, k) : 0;
}

/* growth._fold_candidates_py: of the pairs (old chunk, new chunk) the runs
 * grow into, the chunks whose folded words can make the growth other than
 * their literal words make it.  A pair is looked at closer when a spot of
 * either chunk lies between the start of the word before where their
 * literal shared words stop and the start of the word after it (at the
 * start, and at the end), or when a word of their shared words ends in a
 * hyphen at a line end on one side only; its chunks with any spot are
 * returned.  Returns (old chunks, new chunks), sorted. */
static PyObject *
fold_candidates(PyObject *self, PyObject *args)
{
    PyObject *pairs, *texts[2], *bounds[2], *kinds[2], *typography, *nfkc;
    if (!PyArg_ParseTuple(args, "O!UOSUOSUO:fold_candidates", &PyList_Type, &pairs, &texts[0], &bounds[0], &kinds[0],
                          &texts[1], &bounds[1], &kinds[1], &typography, &nfkc))
        return NULL;
    TypoSet typo = {NULL, typography};
    FoldSide fs[2] = {{{0}}, {{0}}};
    char *need[2] = {NULL, NULL};
    PyObject *result = NULL, *lists[2] = {NULL, NULL};
    if (typo_set_init(&typo) < 0)
        return NULL;
    for (int n = 0; n < 2; n++) {
        if (span_side(&fs[n].side, texts[n], bounds[n], kinds[n], NULL) < 0)
            goto done;
        Py_ssize_t longest = 0;
        for (Py_ssize_t k = 0; k < fs[n].side.chunks; k++)
            if (CHUNK_END(&fs[n].side, k) - CHUNK_START(&fs[n].side, k) > longest)
                longest = CHUNK_END(&fs[n].side, k) - CHUNK_START(&fs[n].side, k);
        fs[n].typo = &typo;
        fs[n].nfkc = nfkc;
        fs[n].text = texts[n];
        fs[n].changes = PyMem_Malloc(fs[n].side.chunks + 1);
        fs[n].spotted = PyMem_Malloc(fs[n].side.chunks + 1);
        fs[n].starts = PyMem_New(Py_ssize_t, longest / 2 + 2);
        fs[n].ends = PyMem_New(Py_ssize_t, longest / 2 + 2);
        need[n] = PyMem_Calloc(fs[n].side.chunks + 1, 1);
        if (fs[n].changes == NULL || fs[n].spotted == NULL || fs[n].starts == NULL || fs[n].ends == NULL ||
                need[n] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        memset(fs[n].changes, -1, fs[n].side.chunks + 1);
        memset(fs[n].spotted, -1, fs[n].side.chunks + 1);
    }
    for (Py_ssize_t p = 0; p < PyList_GET_SIZE(pairs); p++) {
        Py_ssize_t ks[2];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(pairs, p), "nn", &ks[0], &ks[1]))
            goto done;
        if (ks[0] < 0 || ks[0] >= fs[0].side.chunks || ks[1] < 0 || ks[1] >= fs[1].side.chunks) {
            PyErr_SetString(PyExc_ValueError, "fold_candidates: a pair out of range");
            goto done;
        }
        /* most pairs: neither chunk has anywhere folding may act */
        int any[2];
        for (int n = 0; n < 2; n++) {
            if (fs[n].spotted[ks[n]] < 0) {
                int r = spot_in(&fs[n], ks[n], CHUNK_START(&fs[n].side, ks[n]), CHUNK_END(&fs[n].side, ks[n]));
                if (r < 0)
                    goto done;
                fs[n].spotted[ks[n]] = (signed char)r;
            }
            any[n] = fs[n].spotted[ks[n]];
        }
        if (!any[0] && !any[1])
            continue;
        Py_ssize_t head, tail;
        shared_ends(&fs[0].side, ks[0], &fs[1].side, ks[1], &head, &tail);
        int flagged = 0;
        /* the shared words: a line-end hyphen on one side only */
        Py_ssize_t words[2] = {word_bounds(&fs[0].side, ks[0], fs[0].starts, fs[0].ends),
                               word_bounds(&fs[1].side, ks[1], fs[1].starts, fs[1].ends)};
        Py_ssize_t *ends[2] = {fs[0].ends, fs[1].ends};
        for (Py_ssize_t w = 0; w < head && w < words[0] && w < words[1] && !flagged; w++)
            flagged = line_end_hyphen(&fs[0].side, ends[0][w], CHUNK_END(&fs[0].side, ks[0])) !=
                      line_end_hyphen(&fs[1].side, ends[1][w], CHUNK_END(&fs[1].side, ks[1]));
        for (Py_ssize_t w = 1; w <= tail && w <= words[0] && w <= words[1] && !flagged; w++)
            flagged = line_end_hyphen(&fs[0].side, ends[0][words[0] - w], CHUNK_END(&fs[0].side, ks[0])) !=
                      line_end_hyphen(&fs[1].side, ends[1][words[1] - w], CHUNK_END(&fs[1].side, ks[1]));
        /* a spot next to where the shared words stop */
        for (int n = 0; n < 2 && !flagged; n++) {
            FoldSide *f = &fs[n];
            Py_ssize_t k = ks[n], first = words[n] - tail, m = words[n];
            SpanSide *sd = &f->side;
            int r = spot_in(f, k, START_OF_WORD(sd, k, head - 1, m, f->starts), START_OF_WORD(sd, k, head + 2, m, f->starts));
            if (r == 0)
                r = spot_in(f, k, first >= 2 ? END_OF_WORDS(sd, k, first - 2, m, f->ends) : CHUNK_START(sd, k),
                            END_OF_WORDS(sd, k, first + 1, m, f->ends));
            if (r < 0)
                goto done;
            flagged = r;
        }
        if (!flagged)
            continue;
        for (int n = 0; n < 2; n++)
            need[n][ks[n]] |= (char)any[n];
    }
    for (int n = 0; n < 2; n++) {
        lists[n] = PyList_New(0);
        if (lists[n] == NULL)
            goto done;
        for (Py_ssize_t k = 0; k < fs[n].side.chunks; k++) {
            if (!need[n][k])
                continue;
            PyObject *index = PyLong_FromSsize_t(k);
            if (index == NULL || PyList_Append(lists[n], index) < 0) {
                Py_XDECREF(index);
                goto done;
            }
            Py_DECREF(index);
        }
    }
    result = PyTuple_Pack(2, lists[0], lists[1]);
done:
    PyMem_Free(typo.bits);
    for (int n = 0; n < 2; n++) {
        PyMem_Free(fs[n].side.bounds);
        PyMem_Free(fs[n].side.key);
        PyMem_Free(fs[n].changes);
        PyMem_Free(fs[n].spotted);
        PyMem_Free(fs[n].starts);
        PyMem_Free(fs[n].ends);
        PyMem_Free(need[n]);
        Py_XDECREF(lists[n]);
    }
    return result;
}

/* folding._stable_bitmap as word_table and canonical_key are given it (bits
 * NULL: not given, every fold is fold_word's). */
typedef struct {
    const unsigned char *bits;
    Py_UCS4 below;
} Stable;

/* folding._fold_word of text[a:b], made here where NFKC would do no more
 * than spell out Latin ligatures: each character past ASCII whitespace, a
 * soft hyphen (dropped), a dash (each run of dashes one "-"), a ligature
 * (folding.LIGATURES) or stable (its own NFKC, composing with nothing:
 * quotes then folded as tokens.fold_quotes does).  Whitespace is kept as
 * it is (NFKC makes some of it spaces): every caller splits on it.  A new
 * str; Py_None (a new reference) where a character is none of those, so
 * fold_word is to fold the piece; NULL with an exception. */
static PyObject *
stable_fold(int kind, const void *data, Py_ssize_t a, Py_ssize_t b, Stable stable)
{
    if (stable.bits == NULL)
        Py_RETURN_NONE;
    Py_UCS4 *out = PyMem_New(Py_UCS4, 3 * (b - a) + 1);
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = 0;
    int dash_run = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0x00ad)
            continue;  /* (a dash run goes on across it, as once it is dropped) */
        if (is_dash(c)) {
            if (!dash_run)
                out[m++] = '-';
            dash_run = 1;
            continue;
        }
        dash_run = 0;
        if (c < 128 || Py_UNICODE_ISSPACE(c)) {
            out[m++] = c;
            continue;
        }
        const char *spelt = ligature_letters(c);
        if (spelt != NULL) {
            for (; *spelt; spelt++)
                out[m++] = (Py_UCS4)*spelt;
            continue;
        }
        if (c >= stable.below || !((stable.bits[c >> 3] >> (c & 7)) & 1)) {
            PyMem_Free(out);
            Py_RETURN_NONE;
        }
        Py_UCS4 quote = folded_quote(c);
        out[m++] = quote ? quote : c;
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(out);
    return result;
}

/* stable_fold of text[a:b], or else fold_word of it, checked to be a str;
 * NULL with an exception. */
static PyObject *
fold_piece(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *fold_word, Stable stable, const char *caller)
{
    PyObject *folded = stable_fold(PyUnicode_KIND(text), PyUnicode_DATA(text), a, b, stable);
    if (folded != Py_None)
        return folded;
    Py_DECREF(folded);
    PyObject *piece = PyUnicode_Substring(text, a, b);
    folded = piece == NULL ? NULL : PyObject_CallOneArg(fold_word, piece);
    Py_XDECREF(piece);
    if (folded != NULL && !PyUnicode_Check(folded)) {
        Py_DECREF(folded);
        PyErr_Format(PyExc_TypeError, "%s: fold_word must return a str", caller);
        return NULL;
    }
    return folded;
}

/* folding._canonical_word_spans: the folded words of chunk text[a:b] (its
 * _Canon.key, word by word) into out, and their (start, end) offsets into
 * spans; 0, or -1 with an exception.  Words are the runs of non-whitespace;
 * one with a character past ASCII or a "--" is folded by fold_word
 * (folding._fold_word: NFKC and the quote tables are Python's), the rest
 * are their own fold.  A word joins the one before it where that one ends
 * in a line-end hyphen that breaks ({offset: joins} of the judged hyphens)
 * holds (less the hyphen if it joins, and is no soft hyphen), where it
 * starts with punctuation written apart (",;:!?)]}", or "." after no "."),
 * or where the one before ends in an opening bracket.  (word_table and
 * canonical_key are its callers; their twins call the Python one.) */
static int
fold_chunk_words(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word, Stable stable,
                 PyObject *out, Ints *spans)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t last_end = -1, i;
    for (i = a; i < b;) {
        if (ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        int plain = 1;  /* ASCII with no "--": its own fold */
        Py_UCS4 prev = 0;
        for (; i < b; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (ISSPACE(c))
                break;
            if (c >= 128 || (c == '-' && prev == '-'))
                plain = 0;
            prev = c;
        }
        PyObject *word = plain ? PyUnicode_Substring(text, start, i)
                               : fold_piece(text, start, i, fold_word, stable, "fold_word");
        if (word == NULL)
            return -1;
        Py_ssize_t length = PyUnicode_GET_LENGTH(word), count = PyList_GET_SIZE(out);
        if (length == 0) {  /* soft hyphens alone */
            Py_DECREF(word);
            continue;
        }
        if (count > 0) {
            PyObject *last = PyList_GET_ITEM(out, count - 1), *joined = NULL;
            Py_ssize_t hyphen = last_end - 1, last_length = PyUnicode_GET_LENGTH(last);
            int joins = -1;  /* -1: not a judged hyphen */
            if (PyDict_GET_SIZE(breaks) > 0) {
                PyObject *key = PyLong_FromSsize_t(hyphen), *value = NULL;
                if (key != NULL) {
                    value = PyDict_GetItemWithError(breaks, key);
                    Py_DECREF(key);
                }
                if (value != NULL)
                    joins = PyObject_IsTrue(value);
                if (PyErr_Occurred()) {
                    Py_DECREF(word);
                    return -1;
                }
            }
            Py_UCS4 first = PyUnicode_READ_CHAR(word, 0), before = PyUnicode_READ_CHAR(last, last_length - 1);
            if (joins >= 0 || (first < 128 && first != 0 && strchr(",;:!?)]}", (int)first) != NULL) ||
                    (first == '.' && before != '.') || before == '(' || before == '[' || before == '{') {
                if (joins > 0 && PyUnicode_READ(kind, data, hyphen) != 0x00ad) {
                    PyObject *cut = PyUnicode_Substring(last, 0, last_length - 1);
                    joined = cut == NULL ? NULL : PyUnicode_Concat(cut, word);
                    Py_XDECREF(cut);
                }
                else
                    joined = PyUnicode_Concat(last, word);
                Py_DECREF(word);
                if (joined == NULL)
                    return -1;
                PyList_SetItem(out, count - 1, joined);  /* (lets go of last) */
                ints_set_last(spans, i);
                last_end = i;
                continue;
            }
        }
        if (append_new(out, word) < 0 || ints_push(spans, start) < 0 || ints_push(spans, i) < 0)
            return -1;
        last_end = i;
    }
    return 0;
}

/* Whether the n-th whitespace-separated word of text[a:b] from offset *at
 * is the str word (moving *at past it); -1 where text[a:b] has no more. */
static int
next_literal_is(int kind, const void *data, Py_ssize_t *at, Py_ssize_t b, PyObject *word)
{
    Py_ssize_t i = *at;
    while (i < b && ISSPACE(PyUnicode_READ(kind, data, i)))
        i++;
    if (i == b)
        return -1;
    Py_ssize_t start = i;
    while (i < b && !ISSPACE(PyUnicode_READ(kind, data, i)))
        i++;
    *at = i;
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    if (n != i - start)
        return 0;
    int wk = PyUnicode_KIND(word);
    const void *wd = PyUnicode_DATA(word);
    for (Py_ssize_t k = 0; k < n; k++)
        if (PyUnicode_READ(wk, wd, k) != PyUnicode_READ(kind, data, start + k))
            return 0;
    return 1;
}

/* Whether a list of str is text[a:b].split(). */
static int
is_literal_split(PyObject *words, int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t at = a;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(words); k++)
        if (next_literal_is(kind, data, &at, b, PyList_GET_ITEM(words, k)) != 1)
            return 0;
    while (at < b && ISSPACE(PyUnicode_READ(kind, data, at)))
        at++;
    return at == b;
}

/* What word_table and canonical_key read off chunk text[a:b] first:
 * whether punctuation is written apart in it (folding._GLUE_RE), whether it
 * is ASCII, whether it holds a dash run ("--"). */
typedef struct {
    int glue, ascii, dashes;
} ChunkTraits;

static ChunkTraits
chunk_traits(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    ChunkTraits t = {0, 1, 0};
    for (Py_ssize_t i = a; i < b && !t.glue; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i), next = i + 1 < b ? PyUnicode_READ(kind, data, i + 1) : 0;
        if (c >= 128)
            t.ascii = 0;
        if (c == '-' && next == '-')
            t.dashes = 1;
        if (next != 0 && ((ISSPACE(c) && next < 128 && strchr(",;:!?)]}.", (int)next) != NULL) ||
                          ((c == '(' || c == '[' || c == '{') && ISSPACE(next))))
            t.glue = 1;
    }
    return t;
}

/* The body of word_table and canonical_key, given their arguments (text,
 * a, b, breaks, fold_word[, stable]), a and b clamped as slicing does. */
typedef PyObject *(*ChunkFold)(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word,
                               Stable stable);

/* word_table and canonical_key: their arguments parsed (format), the body
 * called, the stable table let go of. */
static PyObject *
chunk_call(PyObject *args, const char *format, ChunkFold body)
{
    PyObject *text, *breaks, *fold_word;
    Py_ssize_t a, b;
    Py_buffer bits = {0};
    if (!PyArg_ParseTuple(args, format, &text, &a, &b, &PyDict_Type, &breaks, &fold_word, &bits))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (a < 0) a = 0;
    if (b > n) b = n;
    if (a > b) a = b;
    Stable stable = {bits.obj != NULL ? bits.buf : NULL, bits.obj != NULL ? (Py_UCS4)bits.len * 8 : 0};
    PyObject *result = body(text, a, b, breaks, fold_word, stable);
    if (bits.obj != NULL)
        PyBuffer_Release(&bits);
    return result;
}

/* folding._word_table_py: chunk text[a:b]'s word table entry, or None where
 * its folded words are its whitespace-separated ones.  With no judged
 * hyphen in breaks and no punctuation written apart (folding._GLUE_RE),
 * each word folds alone: fold_word of the chunk, split, if it has as many
 * words (then (the folded words joined, None)); else fold_chunk_words
 * (then (the words joined, with a word's own space a no-break space, and
 * their offsets as int64 bytes)). */
static PyObject *word_table_of(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word,
                               Stable stable);

static PyObject *
word_table(PyObject *self, PyObject *args)
{
    return chunk_call(args, "UnnO!O|y*:word_table", word_table_of);
}

static PyObject *
word_table_of(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word, Stable stable)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (PyDict_GET_SIZE(breaks) == 0) {
        ChunkTraits traits = chunk_traits(kind, data, a, b);
        if (!traits.glue) {
            if (traits.ascii && !traits.dashes)
                Py_RETURN_NONE;  /* its own fold */
            PyObject *folded = fold_piece(text, a, b, fold_word, stable, "word_table");
            if (folded == NULL)
                return NULL;
            PyObject *words = PyUnicode_Split(folded, NULL, -1);
            Py_DECREF(folded);
            if (words == NULL)
                return NULL;
            Py_ssize_t literal = 0;
            for (Py_ssize_t i = a; i < b;) {  /* len(text[a:b].split()) */
                while (i < b && ISSPACE(PyUnicode_READ(kind, data, i)))
                    i++;
                if (i < b)
                    literal++;
                while (i < b && !ISSPACE(PyUnicode_READ(kind, data, i)))
                    i++;
            }
            if (PyList_GET_SIZE(words) == literal) {
                PyObject *result = NULL;
                if (is_literal_split(words, kind, data, a, b))
                    result = (Py_INCREF(Py_None), Py_None);
                else {
                    PyObject *space = PyUnicode_FromOrdinal(' ');
                    PyObject *joined = space == NULL ? NULL : PyUnicode_Join(space, words);
                    Py_XDECREF(space);
                    if (joined != NULL)
                        result = Py_BuildValue("(NO)", joined, Py_None);
                }
                Py_DECREF(words);
                return result;
            }
            Py_DECREF(words);
        }
    }
    PyObject *out = PyList_New(0), *result = NULL, *joined = NULL, *space = NULL;
    Ints spans = {NULL, 0, 0, 8};
    if (out == NULL || fold_chunk_words(text, a, b, breaks, fold_word, stable, out, &spans) < 0)
        goto done;
    if (is_literal_split(out, kind, data, a, b)) {
        result = (Py_INCREF(Py_None), Py_None);
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(out);
    for (Py_ssize_t k = 0; k < count; k++) {  /* (a folded word with a space in it, from NFKC: a no-break space) */
        PyObject *word = PyList_GET_ITEM(out, k);
        if (PyUnicode_FindChar(word, ' ', 0, PyUnicode_GET_LENGTH(word), 1) >= 0) {
            PyObject *from = PyUnicode_FromOrdinal(' '), *to = PyUnicode_FromOrdinal(0x00a0);
            PyObject *fixed = from && to ? PyUnicode_Replace(word, from, to, -1) : NULL;
            Py_XDECREF(from);
            Py_XDECREF(to);
            if (fixed == NULL)
                goto done;
            PyList_SetItem(out, k, fixed);
        }
    }
    space = PyUnicode_FromOrdinal(' ');
    joined = space == NULL ? NULL : PyUnicode_Join(space, out);
    if (joined != NULL) {
        PyObject *offsets = ints_bytes(&spans);
        if (offsets != NULL)
            result = Py_BuildValue("(ON)", joined, offsets);
    }
done:
    Py_XDECREF(out);
    Py_XDECREF(space);
    Py_XDECREF(joined);
    Py_XDECREF(spans.bytes);
    return result;
}

/* " ".join(text[a:b].split()) */
static PyObject *
whitespace_folded_of(PyObject *text, Py_ssize_t a, Py_ssize_t b)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 *out = PyMem_New(Py_UCS4, b - a + 1);
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = 0;
    int pending = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ISSPACE(c))
            pending = m > 0;
        else {
            if (pending) {
                out[m++] = ' ';
                pending = 0;
            }
            out[m++] = c;
        }
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(out);
    return result;
}

/* folding._Canon.literal: chunk text[a:b] with its whitespace folded. */
static PyObject *
whitespace_folded(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_ssize_t a, b;
    if (!PyArg_ParseTuple(args, "Unn:whitespace_folded", &text, &a, &b))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (a < 0) a = 0;
    if (b > n) b = n;
    if (a > b) a = b;
    return whitespace_folded_of(text, a, b);
}

/* folding._canonical_key_py: chunk text[a:b]'s folded key given its judged
 * line-end hyphens (breaks): where one is judged or punctuation is written
 * apart, fold_chunk_words joined by spaces; else an ASCII chunk with no
 * dash run is its literal key, any other is fold_word of it, whitespace
 * folded (no word joins another). */
static PyObject *canonical_key_of(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word,
                                  Stable stable);

static PyObject *
canonical_key(PyObject *self, PyObject *args)
{
    return chunk_call(args, "UnnO!O|y*:canonical_key", canonical_key_of);
}

static PyObject *
canonical_key_of(PyObject *text, Py_ssize_t a, Py_ssize_t b, PyObject *breaks, PyObject *fold_word, Stable stable)
{
    ChunkTraits traits = chunk_traits(PyUnicode_KIND(text), PyUnicode_DATA(text), a, b);
    if (PyDict_GET_SIZE(breaks) > 0 || traits.glue) {
        PyObject *out = PyList_New(0), *result = NULL;
        Ints spans = {NULL, 0, 0, 8};
        if (out != NULL && fold_chunk_words(text, a, b, breaks, fold_word, stable, out, &spans) == 0) {
            PyObject *space = PyUnicode_FromOrdinal(' ');
            if (space != NULL)
                result = PyUnicode_Join(space, out);
            Py_XDECREF(space);
        }
        Py_XDECREF(out);
        Py_XDECREF(spans.bytes);
        return result;
    }
    if (traits.ascii && !traits.dashes)
        return whitespace_folded_of(text, a, b);
    PyObject *folded = fold_piece(text, a, b, fold_word, stable, "canonical_key");
    if (folded == NULL)
        return NULL;
    PyObject *result = whitespace_folded_of(folded, 0, PyUnicode_GET_LENGTH(folded));
    Py_DECREF(folded);
    return result;
}

static PyMethodDef methods[] = {
    {"gap_kinds", gap_kinds, METH_VARARGS,
     "The gap kind before each token, from the text and the offsets, as bytes. Python twin: provenance.tokens._gap_kinds_py"},
    {"encode_keys_vocab", encode_keys_vocab, METH_VARARGS,
     "encode_keys(a_keys, b_keys) and the distinct keys in code order. Python twin: provenance.codes._encode_keys_vocab"},
    {"encode_with", encode_with, METH_VARARGS,
     "A list of keys encoded in a vocabulary's codes, new keys appended to it. Python twin: provenance.codes._encode_with_py"},
    {"map_codes", map_codes, METH_VARARGS,
     "Each code replaced by the table's character at its place. Python twin: provenance.codes._map_codes_py"},
    {"flag_prefix", flag_prefix, METH_VARARGS,
     "How many codes before each have their flag set, as int64 (or given width) bytes. Python twin: provenance.codes._flag_prefix_py"},
    {"flag_count", flag_count, METH_VARARGS,
     "How many of codes[start:end] have their flag set. Python twin: provenance.codes._flag_count_py"},
    {"code_flags", code_flags, METH_VARARGS,
     "A byte per place of a vocabulary, 1 where codes holds its code. Python twin: provenance.codes._code_flags_py"},
    {"_mmap_big_blocks", mmap_big_blocks, METH_O,
     "glibc: allocations of at least this many bytes always mmap'ed (returned to the system when freed). "
     "Returns whether it was set. No Python twin (an allocator setting)."},
    {"split_tokens", split_tokens, METH_VARARGS,
     "tokens._PLAIN_TOKEN_RE.split(text); given scripts (tokens._script_bitmaps), the full token pattern's. "
     "Python twin: provenance.tokens.token_pieces"},
    {"sparse_tokens", sparse_tokens, METH_VARARGS,
     "_sparse_tokens, as lists (given a vocabulary: literals as codes, "
     "provenance.diff.chunks._sparse_codes_py). Python twin: provenance.diff.chunks._sparse_tokens"},
    {"unchanged_spans", unchanged_spans, METH_VARARGS, "_unchanged_spans_py, the sides' fields and margin given one by one. Python twin: provenance.diff.growth._unchanged_spans_py"},
    {"plans_from_spans", plans_from_spans, METH_VARARGS,
     "_plan_chunks' (old plan, new plan, pinned) from its unchanged spans. Python twin: provenance.diff.chunks._plans_from_spans_py"},
    {"paragraph_isolated", paragraph_isolated, METH_VARARGS,
     "The chunks of kept runs that a paragraph break on one side only may touch. Python twin: provenance.diff.chunks._paragraph_isolated_py"},
    {"split_runs", split_runs, METH_VARARGS,
     "Kept runs cut around the chunks of two sets. Python twin: provenance.diff.chunks._split_runs_py"},
    {"regions_of", regions_of, METH_VARARGS,
     "The regions of (op, n) runs given in pieces, as five columns of bytes. Python twin: provenance.diff.regions._regions_py"},
    {"kept_runs", kept_runs, METH_VARARGS,
     "The equal runs of a diff of chunk codes long enough to keep. Python twin: provenance.diff.chunks._kept_runs_py"},
    {"anchor_runs", anchor_runs, METH_VARARGS, "_anchor_runs(_unique_anchors_py(a, b)). Python twin: provenance.diff.myers._anchor_runs_of_py"},
    {"diff_stretches", diff_stretches, METH_VARARGS,
     "The merged diff of a and b around runs known to be equal. Python twin: provenance.diff.myers._diff_stretches_py"},
    {"fold_candidates", fold_candidates, METH_VARARGS,
     "(old chunks, new chunks) whose folded words can change how runs grow. Python twin: provenance.diff.growth._fold_candidates_py"},
    {"may_fold", may_fold, METH_VARARGS,
     "({chunk: offsets}, non_ascii): where chunks' folded words may not be their literal ones. Python twin: provenance.diff.folding._may_fold_py"},
    {"line_break_hyphens", line_break_hyphens, METH_VARARGS, "_line_break_hyphens(text, ranges). Python twin: provenance.linebreaks._line_break_hyphens_py"},
    {"word_filter", word_filter, METH_O, "word_filter(text): bytes. Python twin: provenance.linebreaks._word_filter_py"},
    {"may_hold", may_hold, METH_VARARGS, "may_hold(filter, word). Python twin: provenance.linebreaks._may_hold_py"},
    {"formatting_groups", formatting_groups, METH_VARARGS, "formatting_groups(ol, nl, og, ng, a0, a1, b0, glued). Python twin: provenance.diff.build._formatting_groups_py"},
    {"has_any", has_any, METH_VARARGS, "Whether a character of text has its bit set in bitmap. Python twin: provenance.tokens._needs_full_re"},
    {"chunk_codes", chunk_codes, METH_VARARGS, "chunk_codes(old, new), given whether each has a CR. Python twin: provenance.tokens.chunk_codes"},
    {"matched_loose", matched_loose, METH_VARARGS,
     "Chunks of a text whose code the other text has and whose loose key's id is wanted, with those ids. "
     "Python twin: provenance.diff.folding._matched_loose_ids_py"},
    {"loose_id", loose_id, METH_O, "The id of a loose key. Python twin: provenance.diff.folding._loose_id_py"},
    {"unmatched_loose", unmatched_loose, METH_VARARGS,
     "Chunks of a text whose code the other text lacks, with their loose keys' ids where folded here. "
     "Python twin: provenance.diff.folding._unmatched_loose_ids_py"},
    {"word_prefix", word_prefix, METH_VARARGS,
     "Word tokens before each token of a list of literals, as int64 (or given width) bytes. Python twin: provenance.tokens.word_prefix_py"},
    {"_set_hash_mask", set_hash_mask, METH_O, "For the tests: keep only these bits of chunk key hashes."},
    {"canonical_key", canonical_key, METH_VARARGS,
     "A chunk's folded key given its judged line-end hyphens. Python twin: provenance.diff.folding._canonical_key_py"},
    {"whitespace_folded", whitespace_folded, METH_VARARGS,
     "\" \".join(text[a:b].split()). Python twin: provenance.diff.folding._whitespace_folded_py"},
    {"word_table", word_table, METH_VARARGS,
     "A chunk's word table entry, or None. Python twin: provenance.diff.folding._word_table_py"},
    {"count_words", count_words, METH_VARARGS,
     "Words in text[start:end] for each (start, end) of spans, as the plain word pattern counts them "
     "(given scripts, tokens._script_bitmaps, the full one). Python twin: provenance.tokens.count_words"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, 0, methods};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (Py_UCS4 c = 0; c < 128; c++) {
        ascii_space[c] = Py_UNICODE_ISSPACE(c) != 0;
        ascii_word[c] = Py_UNICODE_ISALNUM(c) || c == '_';
        ascii_plain[c] = !ascii_space[c] && c != '.' && c != '!' && c != '?';
    }
    return PyModule_Create(&module);
}
