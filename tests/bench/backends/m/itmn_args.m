function out = itmn_args(name, scale, flag, count)
% Written for the itmn-bench tests: argument passing of strings, numbers and logicals.
out = struct();
out.name = name;
out.name_class = class(name);
out.scaled = scale * 2;
out.scale_class = class(scale);
out.flag_class = class(flag);
out.flag = double(flag);
out.count = count + 1;
out.nargin = nargin;
end
