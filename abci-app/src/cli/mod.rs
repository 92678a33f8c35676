//! User commands that talk to a running chain (`openledgerd tx …`): the chain client they share
//! ([`chain`]) and the Datanet commands ([`datanet`]).

pub mod chain;
pub mod datanet;
