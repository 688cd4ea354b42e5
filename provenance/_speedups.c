/* Optional compiled versions of the hottest loops of a comparison.
 *
 * Each function gives exactly what its pure-Python counterpart gives (the
 * tests hold them to it on random texts); the package works without this
 * module, only slower.  Character classes are Python's own: re's \s is
 * Py_UNICODE_ISSPACE and \w is Py_UNICODE_ISALNUM or "_", and str.split()
 * splits on Py_UNICODE_ISSPACE.
 *
 *   chunk_table(text, cr)       tokens.chunk_table (cr: "\r" in text)
 *   count_plain_words(text, spans)
 *                               sum of len(_PLAIN_WORD_RE.findall(text[s:e]))
 *   split_plain_tokens(text)    tokens._PLAIN_TOKEN_RE.split(text)
 *   has_any(text, bitmap)       a character of text is in the set (is_plain)
 *   shared_ends(a, b)           diff._shared_ends(a, b)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* ASCII from a table (most characters of most texts), the rest from Python. */
static unsigned char ascii_space[128], ascii_word[128];
#define ISSPACE(c) ((c) < 128 ? ascii_space[c] : Py_UNICODE_ISSPACE(c))
#define ISWORD(c) ((c) < 128 ? ascii_word[c] : Py_UNICODE_ISALNUM(c))

/* re.split(r"(\n[^\S\n]*\n\s*)") (with cr: r"(\r?\n[^\S\n]*\n\s*)"):
 * the end of a paragraph separator starting at i, or -1. */
static Py_ssize_t
paragraph_sep_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t n, int cr)
{
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (cr && c == '\r') {
        if (i + 1 >= n || PyUnicode_READ(kind, data, i + 1) != '\n')
            return -1;
        i++;
    }
    else if (c != '\n')
        return -1;
    i++;
    while (i < n) {  /* [^\S\n]* */
        c = PyUnicode_READ(kind, data, i);
        if (c == '\n' || !ISSPACE(c))
            break;
        i++;
    }
    if (i >= n || PyUnicode_READ(kind, data, i) != '\n')
        return -1;
    i++;
    while (i < n && ISSPACE(PyUnicode_READ(kind, data, i)))  /* \s* */
        i++;
    return i;
}

static int
append_substring(PyObject *list, PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *s = PyUnicode_Substring(text, start, end);
    if (s == NULL)
        return -1;
    int r = PyList_Append(list, s);
    Py_DECREF(s);
    return r;
}

static int
is_closer(Py_UCS4 c)  /* ["'\u201d\u2019)\]] */
{
    return c == '"' || c == '\'' || c == 0x201d || c == 0x2019 || c == ')' || c == ']';
}

/* What chunk_table makes: bounds, folded keys and separator kinds. */
typedef struct {
    PyObject *text;
    PyObject *bounds, *keys, *kinds;
} Out;

static PyObject *fold_span(PyObject *text, Py_ssize_t start, Py_ssize_t end);

/* tokens.gap_kind of a separator (all whitespace): GLUED 0, SPACE 1, PARAGRAPH 2. */
static long
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

static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

/* One separator text[sep_a:sep_b] and the chunk text[chunk_a:chunk_b] after it. */
static int
emit(Out *out, int kind, const void *data, Py_ssize_t sep_a, Py_ssize_t sep_b, Py_ssize_t chunk_a, Py_ssize_t chunk_b)
{
    if (append_new(out->bounds, PyLong_FromSsize_t(sep_a)) < 0 ||
        append_new(out->bounds, PyLong_FromSsize_t(chunk_a)) < 0 ||
        append_new(out->keys, fold_span(out->text, chunk_a, chunk_b)) < 0 ||
        append_new(out->kinds, PyLong_FromLong(separator_kind(kind, data, sep_a, sep_b))) < 0)
        return -1;
    return 0;
}

/* One paragraph text[a:b] cut at re.split(r"([.!?][\"'\u201d\u2019)\]]?)(\s+)"):
 * chunks are sentence + end mark, separators the whitespace before each
 * chunk (the first: text[sep_a:sep_b], the paragraph separator). */
static int
split_paragraph(Out *out, int kind, const void *data, Py_ssize_t a, Py_ssize_t b, Py_ssize_t sep_a, Py_ssize_t sep_b)
{
    Py_ssize_t chunk_start = a, i = a;
    while (i < b) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '.' || c == '!' || c == '?') {
            Py_ssize_t j = i + 1;
            if (j < b && is_closer(PyUnicode_READ(kind, data, j)))
                j++;
            Py_ssize_t k = j;
            while (k < b && ISSPACE(PyUnicode_READ(kind, data, k)))
                k++;
            if (k > j) {
                if (emit(out, kind, data, sep_a, sep_b, chunk_start, j) < 0)
                    return -1;
                sep_a = j;
                sep_b = k;
                chunk_start = k;
                i = k;
                continue;
            }
        }
        i++;
    }
    return emit(out, kind, data, sep_a, sep_b, chunk_start, b);
}

/* The whole text: paragraphs, then sentences in each (as tokens.split_chunks). */
static int
split_text(Out *out, int cr)
{
    PyObject *text = out->text;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), para_start = 0, sep_a = 0, sep_b = 0, i = 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n' || (cr && c == '\r')) {
            Py_ssize_t end = paragraph_sep_end(kind, data, i, n, cr);
            if (end >= 0) {
                if (split_paragraph(out, kind, data, para_start, i, sep_a, sep_b) < 0)
                    return -1;
                sep_a = i;
                sep_b = end;
                para_start = end;
                i = end;
                continue;
            }
        }
        i++;
    }
    return split_paragraph(out, kind, data, para_start, n, sep_a, sep_b);
}

/* tokens.chunk_table: (bounds, keys, kinds) of tokens.split_chunks' chunks. */
static PyObject *
chunk_table(PyObject *self, PyObject *args)
{
    Out out = {0};
    int cr;
    if (!PyArg_ParseTuple(args, "Up:chunk_table", &out.text, &cr))
        return NULL;
    PyObject *result = NULL;
    out.bounds = PyList_New(0);
    out.keys = PyList_New(0);
    out.kinds = PyList_New(0);
    if (out.bounds != NULL && out.keys != NULL && out.kinds != NULL && split_text(&out, cr) == 0 &&
        append_new(out.bounds, PyLong_FromSsize_t(PyUnicode_GET_LENGTH(out.text))) == 0)
        result = PyTuple_Pack(3, out.bounds, out.keys, out.kinds);
    Py_XDECREF(out.bounds);
    Py_XDECREF(out.keys);
    Py_XDECREF(out.kinds);
    return result;
}

/* " ".join(text[start:end].split()) */
static PyObject *
fold_span(PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = end - start, i, out = 0;
    Py_UCS4 maxchar = 0;
    int simple = 1, newlines = 0, pending = 0;
    /* First pass: the folded length and largest character, and whether the
     * span is folded once its line feeds are spaces (the usual case). */
    for (i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ISSPACE(c)) {
            if ((c != ' ' && c != '\n') || out == 0 || pending)
                simple = 0;  /* another space, leading, or a second in a row */
            newlines += c == '\n';
            pending = out > 0;
            continue;
        }
        out += pending + 1;
        pending = 0;
        if (c > maxchar)
            maxchar = c;
    }
    if (pending)
        simple = 0;  /* trailing */
    if (simple && !newlines)
        return PyUnicode_Substring(text, start, end);
    if (out && maxchar < ' ')
        maxchar = ' ';
    PyObject *result = PyUnicode_New(out, maxchar);  /* the narrowest kind, as Python makes strings */
    if (result == NULL)
        return NULL;
    int out_kind = PyUnicode_KIND(result);
    void *dst = PyUnicode_DATA(result);
    if (simple) {  /* the same characters but for line feeds */
        for (i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, start + i);
            PyUnicode_WRITE(out_kind, dst, i, c == '\n' ? ' ' : c);
        }
        return result;
    }
    Py_ssize_t k = 0;
    pending = 0;
    for (i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ISSPACE(c)) {
            pending = k > 0;
            continue;
        }
        if (pending) {
            PyUnicode_WRITE(out_kind, dst, k, ' ');
            k++;
            pending = 0;
        }
        PyUnicode_WRITE(out_kind, dst, k, c);
        k++;
    }
    return result;
}

static int
is_joiner(Py_UCS4 c)  /* ['\u2019] and tokens.INVISIBLE */
{
    return c == '\'' || c == 0x2019 || c == 0x00ad || c == 0x200b || c == 0x200c || c == 0x200d ||
           c == 0x2060 || c == 0xfeff;
}

/* len(re.findall(r"\w+(?:['\u2019<invisible>]\w+)*", text[a:b])) */
static Py_ssize_t
plain_words(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t count = 0, i = a;
    while (i < b) {
        if (!ISWORD(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        count++;
        for (;;) {
            while (i < b && ISWORD(PyUnicode_READ(kind, data, i)))
                i++;
            if (i + 1 < b && is_joiner(PyUnicode_READ(kind, data, i)) && ISWORD(PyUnicode_READ(kind, data, i + 1)))
                i++;  /* an inner apostrophe: the word goes on */
            else
                break;
        }
    }
    return count;
}

static PyObject *
count_plain_words(PyObject *self, PyObject *args)
{
    PyObject *text, *spans;
    if (!PyArg_ParseTuple(args, "UO:count_plain_words", &text, &spans))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), total = 0;
    PyObject *seq = PySequence_Fast(spans, "count_plain_words: spans must be a sequence of (start, end)");
    if (seq == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        Py_ssize_t a, b;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "nn", &a, &b)) {
            Py_DECREF(seq);
            return NULL;
        }
        /* as slicing does */
        if (a < 0) a = 0;
        if (b > n) b = n;
        if (a < b)
            total += plain_words(kind, data, a, b);
    }
    Py_DECREF(seq);
    return PyLong_FromSsize_t(total);
}

static int
is_dash(Py_UCS4 c)  /* tokens._DASHES */
{
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xfe58 || c == 0xfe63 || c == 0xff0d;
}

static int
is_invisible(Py_UCS4 c)  /* tokens.INVISIBLE */
{
    return c == 0x00ad || c == 0x200b || c == 0x200c || c == 0x200d || c == 0x2060 || c == 0xfeff;
}

/* tokens._PLAIN_TOKEN_RE.split(text): [gap, token, gap, token, ..., tail].
 * A token is a word (\w+ with inner apostrophes or invisible joiners), a
 * dash run, "..", "...", an ellipsis or any other character but whitespace
 * and invisible ones, which make up the gaps. */
static PyObject *
split_plain_tokens(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "split_plain_tokens: a str expected");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), gap = 0, i = 0;
    PyObject *pieces = PyList_New(0);
    if (pieces == NULL)
        return NULL;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (ISSPACE(c) || is_invisible(c)) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        if (ISWORD(c)) {
            for (;;) {
                while (end < n && ISWORD(PyUnicode_READ(kind, data, end)))
                    end++;
                if (end + 1 < n && is_joiner(PyUnicode_READ(kind, data, end)) && ISWORD(PyUnicode_READ(kind, data, end + 1)))
                    end++;
                else
                    break;
            }
        }
        else if (is_dash(c)) {
            while (end < n && is_dash(PyUnicode_READ(kind, data, end)))
                end++;
        }
        else if (c == '.') {
            while (end < n && PyUnicode_READ(kind, data, end) == '.')
                end++;
        }
        if (append_substring(pieces, text, gap, i) < 0 || append_substring(pieces, text, i, end) < 0) {
            Py_DECREF(pieces);
            return NULL;
        }
        gap = i = end;
    }
    if (append_substring(pieces, text, gap, n) < 0) {
        Py_DECREF(pieces);
        return NULL;
    }
    return pieces;
}

/* diff._shared_words on a[a0:a0+la] and b[b0:b0+lb] read forwards (dir 1)
 * or backwards from their ends (dir -1); sets *end to where the shared
 * words end (in characters from the start of the reading), or -1. */
static Py_ssize_t
shared_words(PyObject *a, Py_ssize_t a0, Py_ssize_t la, PyObject *b, Py_ssize_t b0, Py_ssize_t lb, int dir,
             Py_ssize_t *end)
{
    int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b);
    const void *da = PyUnicode_DATA(a), *db = PyUnicode_DATA(b);
#define A(i) PyUnicode_READ(ka, da, dir > 0 ? a0 + (i) : a0 + la - 1 - (i))
#define B(i) PyUnicode_READ(kb, db, dir > 0 ? b0 + (i) : b0 + lb - 1 - (i))
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

/* diff._shared_ends(a, b) */
static PyObject *
shared_ends(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "UU:shared_ends", &a, &b))
        return NULL;
    Py_ssize_t la = PyUnicode_GET_LENGTH(a), lb = PyUnicode_GET_LENGTH(b), end, tail_end;
    Py_ssize_t head = shared_words(a, 0, la, b, 0, lb, 1, &end);
    Py_ssize_t skip = head ? end + 1 : 0;  /* the rest: after the space that follows the shared words */
    if (skip > la) skip = la;
    Py_ssize_t skip_b = head ? end + 1 : 0;
    if (skip_b > lb) skip_b = lb;
    Py_ssize_t tail = shared_words(a, skip, la - skip, b, skip_b, lb - skip_b, -1, &tail_end);
    return Py_BuildValue("nn", head, tail);
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

static PyMethodDef methods[] = {
    {"split_plain_tokens", split_plain_tokens, METH_O, "tokens._PLAIN_TOKEN_RE.split(text)"},
    {"shared_ends", shared_ends, METH_VARARGS, "diff._shared_ends(a, b)"},
    {"has_any", has_any, METH_VARARGS, "Whether a character of text has its bit set in bitmap."},
    {"chunk_table", chunk_table, METH_VARARGS, "tokens.chunk_table(text), given whether text has a CR."},
    {"count_plain_words", count_plain_words, METH_VARARGS,
     "Words in text[start:end] for each (start, end) of spans, as the plain word pattern counts them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, 0, methods};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (Py_UCS4 c = 0; c < 128; c++) {
        ascii_space[c] = Py_UNICODE_ISSPACE(c) != 0;
        ascii_word[c] = Py_UNICODE_ISALNUM(c) || c == '_';
    }
    return PyModule_Create(&module);
}
