//! `refuse!`: the serde `Serializer` methods of a narrow serializer (one that takes only an
//! object, or only a string) that refuse what they are given, written once for all of them.
//!
//! `refuse!(error => bool, i64, str, ...)` inside an `impl ser::Serializer` defines
//! `serialize_bool`, `serialize_i64`, `serialize_str`, ... each answering `Err(error)` (the
//! expression is evaluated only when a method is called). The names are the methods' names
//! without `serialize_`; `struct_` stands for `serialize_struct` (a keyword otherwise).

macro_rules! refuse {
    ($err:expr => $($name:ident),+ $(,)?) => {
        $( $crate::refuse::refuse!(@ $name, $err); )+
    };
    (@ bool, $err:expr) => { fn serialize_bool(self, _: bool) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ i8, $err:expr) => { fn serialize_i8(self, _: i8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ i16, $err:expr) => { fn serialize_i16(self, _: i16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ i32, $err:expr) => { fn serialize_i32(self, _: i32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ i64, $err:expr) => { fn serialize_i64(self, _: i64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ i128, $err:expr) => { fn serialize_i128(self, _: i128) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ u8, $err:expr) => { fn serialize_u8(self, _: u8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ u16, $err:expr) => { fn serialize_u16(self, _: u16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ u32, $err:expr) => { fn serialize_u32(self, _: u32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ u64, $err:expr) => { fn serialize_u64(self, _: u64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ u128, $err:expr) => { fn serialize_u128(self, _: u128) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ f32, $err:expr) => { fn serialize_f32(self, _: f32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ f64, $err:expr) => { fn serialize_f64(self, _: f64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ char, $err:expr) => { fn serialize_char(self, _: char) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ str, $err:expr) => { fn serialize_str(self, _: &str) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ bytes, $err:expr) => { fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ none, $err:expr) => { fn serialize_none(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ some, $err:expr) => {
        fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@ unit, $err:expr) => { fn serialize_unit(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@ unit_struct, $err:expr) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@ unit_variant, $err:expr) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@ newtype_variant, $err:expr) => {
        fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@ seq, $err:expr) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> { Err($err) }
    };
    (@ tuple, $err:expr) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> { Err($err) }
    };
    (@ tuple_struct, $err:expr) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Self::Error> {
            Err($err)
        }
    };
    (@ tuple_variant, $err:expr) => {
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            Err($err)
        }
    };
    (@ map, $err:expr) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> { Err($err) }
    };
    (@ struct_, $err:expr) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Self::Error> {
            Err($err)
        }
    };
    (@ struct_variant, $err:expr) => {
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            Err($err)
        }
    };
}

pub(crate) use refuse;
