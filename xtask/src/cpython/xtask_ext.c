/* A C extension built by cargo xtask as an emscripten side module, with the compiler and flags
 * of the interpreter it is loaded into (the build's CC, CFLAGS, CCSHARED and BLDSHARED), as a
 * distributor's wheel build does. `import xtask_ext` proves dynamic linking: the module's
 * functions call into the interpreter (PyUnicode_FromFormat, Py_GetVersion) and into libc
 * (strlen, snprintf), whose symbols the main module provides. */
#include <Python.h>
#include <stdio.h>
#include <string.h>

static PyObject *
greet(PyObject *module, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL) {
        return NULL;
    }
    char version[32];
    snprintf(version, sizeof version, "%s", Py_GetVersion());
    version[strcspn(version, " ")] = '\0';
    return PyUnicode_FromFormat("side module says hello to %s (%zu letters) from CPython %s",
                                name, strlen(name), version);
}

static PyObject *
add(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "add() takes two integers");
        return NULL;
    }
    long a = PyLong_AsLong(args[0]), b = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {
    {"greet", greet, METH_O, "A greeting built by C code in the side module."},
    {"add", (PyCFunction)(void (*)(void))add, METH_FASTCALL, "The sum of two integers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "xtask_ext", "A side module built by cargo xtask.", -1, methods,
};

PyMODINIT_FUNC
PyInit_xtask_ext(void)
{
    return PyModule_Create(&module);
}
