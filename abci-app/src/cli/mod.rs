//! User commands that talk to a running chain (`openledgerd tx …`, `openledgerd query …`): the
//! chain client they share ([`chain`]), contributing files ([`datanet`]) and the owner's other
//! Datanet commands and the queries ([`owner`]).

pub mod chain;
pub mod datanet;
pub mod owner;
