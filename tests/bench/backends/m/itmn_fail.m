function itmn_fail(msg)
% Written for the itmn-bench tests: raises an error with an identifier.
error('itmn:deliberate', 'deliberate failure: %s', msg);
end
