//! A serde serializer that builds Python objects directly (`dict`, `list`, `str`, `int`, `float`,
//! `bool`, `None`), so a record's wire shape reaches Python without a JSON value in between.
//! It gives what `json.loads(serde_json::to_string(x))` would: structs and maps become dicts
//! (fields skipped by `skip_serializing_if` are absent), sequences become lists, non-finite
//! floats become `None`. Struct field names and enum variant names are `&'static str`: each
//! becomes one Python string per thread, reused for every dict.

use std::cell::RefCell;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde::ser::{self, Serialize};

use rustc_hash::FxHashMap as FxMap;

/// A Python error raised while building (or a serde error as `InvalidArgument`).
#[derive(Debug)]
pub struct Error(PyErr);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(crate::convert::invalid("result", msg.to_string()))
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

/// `value` as a Python object.
pub fn to_py<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    value.serialize(Ser { py }).map_err(|e| e.0)
}

thread_local! {
    /// Python strings of `&'static str` names (struct fields, enum variants), by address.
    static NAMES: RefCell<FxMap<(usize, usize), Py<PyString>>> = RefCell::new(FxMap::default());
}

/// The Python string of a static name, made once per thread.
fn name<'py>(py: Python<'py>, s: &'static str) -> Bound<'py, PyString> {
    NAMES.with(|m| m.borrow_mut().entry((s.as_ptr() as usize, s.len())).or_insert_with(|| PyString::intern(py, s).unbind()).bind(py).clone())
}

#[derive(Clone, Copy)]
struct Ser<'py> {
    py: Python<'py>,
}

type R = Result<Py<PyAny>, Error>;

impl<'py> Ser<'py> {
    fn any<T: IntoPyObjectExt<'py>>(self, v: T) -> R {
        Ok(v.into_py_any(self.py)?)
    }
}

impl<'py> ser::Serializer for Ser<'py> {
    type Ok = Py<PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'py>;
    type SerializeTuple = Seq<'py>;
    type SerializeTupleStruct = Seq<'py>;
    type SerializeTupleVariant = Variant<Seq<'py>>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Map<'py>;
    type SerializeStructVariant = Variant<Map<'py>>;

    fn serialize_bool(self, v: bool) -> R {
        self.any(v)
    }
    fn serialize_i8(self, v: i8) -> R {
        self.any(v)
    }
    fn serialize_i16(self, v: i16) -> R {
        self.any(v)
    }
    fn serialize_i32(self, v: i32) -> R {
        self.any(v)
    }
    fn serialize_i64(self, v: i64) -> R {
        self.any(v)
    }
    fn serialize_i128(self, v: i128) -> R {
        self.any(v)
    }
    fn serialize_u8(self, v: u8) -> R {
        self.any(v)
    }
    fn serialize_u16(self, v: u16) -> R {
        self.any(v)
    }
    fn serialize_u32(self, v: u32) -> R {
        self.any(v)
    }
    fn serialize_u64(self, v: u64) -> R {
        self.any(v)
    }
    fn serialize_u128(self, v: u128) -> R {
        self.any(v)
    }
    fn serialize_f32(self, v: f32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> R {
        if v.is_finite() {
            self.any(v)
        } else {
            Ok(self.py.None())
        }
    }
    fn serialize_char(self, v: char) -> R {
        self.any(v.to_string())
    }
    fn serialize_str(self, v: &str) -> R {
        self.any(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        self.any(v.to_vec())
    }
    fn serialize_none(self) -> R {
        Ok(self.py.None())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(self.py.None())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        Ok(self.py.None())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> R {
        Ok(name(self.py, variant).into_any().unbind())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _name: &'static str, _index: u32, variant: &'static str, value: &T) -> R {
        let d = PyDict::new(self.py);
        d.set_item(name(self.py, variant), value.serialize(self)?)?;
        Ok(d.into_any().unbind())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'py>, Error> {
        Ok(Seq { py: self.py, items: Vec::with_capacity(len.unwrap_or(0)) })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(self, _name: &'static str, _index: u32, variant: &'static str, len: usize) -> Result<Variant<Seq<'py>>, Error> {
        Ok(Variant { variant, inner: self.serialize_seq(Some(len))? })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>, Error> {
        Ok(Map { dict: PyDict::new(self.py), key: None })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Map<'py>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(self, _name: &'static str, _index: u32, variant: &'static str, _len: usize) -> Result<Variant<Map<'py>>, Error> {
        Ok(Variant { variant, inner: self.serialize_map(None)? })
    }
}

pub struct Seq<'py> {
    py: Python<'py>,
    items: Vec<Py<PyAny>>,
}

impl<'py> Seq<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(Ser { py: self.py })?);
        Ok(())
    }
    fn done(self) -> R {
        Ok(PyList::new(self.py, self.items)?.into_any().unbind())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> R {
        self.done()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> R {
        self.done()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> R {
        self.done()
    }
}

pub struct Map<'py> {
    dict: Bound<'py, PyDict>,
    key: Option<Py<PyAny>>,
}

impl ser::SerializeMap for Map<'_> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let py = self.dict.py();
        let k = key.serialize(Ser { py })?;
        // JSON object keys are strings.
        let k = if k.bind(py).is_instance_of::<PyString>() { k } else { k.bind(py).str()?.into_any().unbind() };
        self.key = Some(k);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let py = self.dict.py();
        let k = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("a map value without a key"))?;
        self.dict.set_item(k, value.serialize(Ser { py })?)?;
        Ok(())
    }
    fn end(self) -> R {
        Ok(self.dict.into_any().unbind())
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let py = self.dict.py();
        self.dict.set_item(name(py, key), value.serialize(Ser { py })?)?;
        Ok(())
    }
    fn end(self) -> R {
        Ok(self.dict.into_any().unbind())
    }
}

/// `{variant: inner}`.
pub struct Variant<I> {
    variant: &'static str,
    inner: I,
}

fn wrap(py: Python<'_>, variant: &'static str, inner: Py<PyAny>) -> R {
    let d = PyDict::new(py);
    d.set_item(name(py, variant), inner)?;
    Ok(d.into_any().unbind())
}

impl<'py> ser::SerializeTupleVariant for Variant<Seq<'py>> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }
    fn end(self) -> R {
        let py = self.inner.py;
        wrap(py, self.variant, self.inner.done()?)
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Map<'py>> {
    type Ok = Py<PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> R {
        let py = self.inner.dict.py();
        wrap(py, self.variant, ser::SerializeStruct::end(self.inner)?)
    }
}
