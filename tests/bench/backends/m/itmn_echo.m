function varargout = itmn_echo(varargin)
% Written for the itmn-bench tests: returns its arguments unchanged (data round trip).
varargout = varargin;
end
